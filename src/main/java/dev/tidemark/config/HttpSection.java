package dev.tidemark.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validates the {@code http} section: where the daemon serves its status page and metrics. Absent: loopback, port
 * {@value Config.Http#DEFAULT_PORT}. Another address only with a token file, so that nothing about the repository
 * is ever served to the network without a secret.
 */
final class HttpSection {
    private static final Pattern LISTEN = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+):(\\d{1,5})");

    record Raw(@JsonProperty("listen") String listen, @JsonProperty("tokenFile") String tokenFile) {
    }

    private HttpSection() {
    }

    static Config.Http validate(Path file, Raw raw) {
        if (raw == null) {
            return new Config.Http(new InetSocketAddress(InetAddress.getLoopbackAddress(), Config.Http.DEFAULT_PORT),
                    null);
        }
        Path token = raw.tokenFile() == null ? null : ConfigLoader.absolute(file, "http.tokenFile", raw.tokenFile());
        String listen = raw.listen() == null ? "127.0.0.1:" + Config.Http.DEFAULT_PORT : raw.listen().trim();
        if (listen.equals("off")) {
            return null;
        }
        Matcher m = LISTEN.matcher(listen);
        int port = m.matches() ? Integer.parseInt(m.group(2)) : -1;
        if (port < 0 || port > 65535) {
            throw ConfigLoader.bad(file, "http.listen", "is '" + listen + "': give ADDRESS:PORT such as 127.0.0.1:"
                    + Config.Http.DEFAULT_PORT + " (port 0: any free one), or \"off\"");
        }
        String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw ConfigLoader.bad(file, "http.listen", "names '" + host + "', which does not resolve: give an IP "
                    + "address");
        }
        if (!address.isLoopbackAddress() && token == null) {
            throw ConfigLoader.bad(file, "http.listen", "is " + listen + ", not a loopback address: give "
                    + "http.tokenFile too (a file holding a secret of 16 or more characters), or listen on 127.0.0.1");
        }
        return new Config.Http(new InetSocketAddress(address, port), token);
    }
}
