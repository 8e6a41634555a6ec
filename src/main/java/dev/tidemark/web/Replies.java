package dev.tidemark.web;

import com.sun.net.httpserver.HttpExchange;
import dev.tidemark.TidemarkException;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** How the status page reads a request's query and answers: JSON, a JSON error, or bytes (none for HEAD). */
final class Replies {
    private Replies() {
    }

    static String need(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isEmpty()) {
            throw TidemarkException.usage("the request needs ?" + name + "=");
        }
        return v;
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            q.putIfAbsent(k, v);
        }
        return q;
    }

    static void json(HttpExchange x, Object body) throws IOException {
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.getResponseHeaders().set("Cache-Control", "no-store");
        send(x, 200, Json.MAPPER.writeValueAsBytes(body));
    }

    static void error(HttpExchange x, int code, String message) throws IOException {
        x.getResponseHeaders().set("Content-Type", "application/json");
        send(x, code, Json.MAPPER.writeValueAsBytes(Map.of("error", message)));
    }

    static void send(HttpExchange x, int code, byte[] body) throws IOException {
        if ("HEAD".equals(x.getRequestMethod())) {
            x.sendResponseHeaders(code, -1);
            return;
        }
        x.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
