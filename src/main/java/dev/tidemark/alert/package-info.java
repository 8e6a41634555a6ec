/**
 * Alerts: telling someone when a point failed or was missed, a tree is in alarm, a replica cannot be reached, or
 * verify found damage, by a command, a webhook or a healthchecks-style ping, at most once per condition per
 * {@code alerts.repeat}, and once more when the condition clears. What has been sent is kept in
 * {@code <state>/alerts.json}, so a restart does not send it again.
 */
package dev.tidemark.alert;
