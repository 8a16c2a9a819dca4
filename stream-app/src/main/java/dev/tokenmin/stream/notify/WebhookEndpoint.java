package dev.tokenmin.stream.notify;

import dev.tokenmin.avro.Alert;
import dev.tokenmin.avro.AlertKind;
import dev.tokenmin.schemas.config.Settings;

import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One webhook subscriber: where to POST, the secret its requests are signed with, which alerts it wants (kinds and
 * a scope prefix), and the payload format ({@code json}, or {@code slack} for an incoming-webhook URL).
 *
 * @param name        names the endpoint in logs, metrics and its consumer group; letters, digits, '-' and '_'
 * @param url         the http(s) URL
 * @param secret      the HMAC key (never logged)
 * @param kinds       the alert kinds it receives
 * @param scopePrefix only alerts whose scope starts with this (empty: all)
 * @param slack       whether to send Slack's {@code {"text": ...}} payload instead of tokenmin's JSON
 */
public record WebhookEndpoint(String name, URI url, String secret, Set<AlertKind> kinds, String scopePrefix,
                              boolean slack) {

    public static final String ENDPOINTS = "notify.endpoints";

    /** The payload's shape. */
    public enum Format { JSON, SLACK }

    public boolean wants(Alert alert) {
        return kinds.contains(alert.getKind()) && alert.getScope().startsWith(scopePrefix);
    }

    @Override
    public String toString() {
        return "WebhookEndpoint[" + name + " -> " + url + ", kinds=" + kinds + ", scopePrefix=" + scopePrefix
                + ", slack=" + slack + ", secret=***]";
    }

    /**
     * The endpoints named in {@code notify.endpoints} (comma-separated), each from {@code notify.endpoint.<name>.url},
     * {@code .secret} (required unless {@code .format=slack}), {@code .kinds} (default all), {@code .scope.prefix}
     * and {@code .format} ({@code json} or {@code slack}). Problems are reported through {@code s}.
     */
    public static List<WebhookEndpoint> from(Settings s) {
        List<WebhookEndpoint> endpoints = new ArrayList<>();
        String names = s.string(ENDPOINTS, "");
        for (String raw : names.split(",")) {
            String name = raw.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
                s.error(ENDPOINTS + ": \"" + name + "\" must be 1 to 64 letters, digits, '-' or '_'");
                continue;
            }
            String at = "notify.endpoint." + name + ".";
            String url = s.required(at + "url");
            boolean slack = s.oneOf(at + "format", Format.class, Format.JSON) == Format.SLACK;
            String secret = slack ? s.string(at + "secret", "") : s.required(at + "secret");
            Set<AlertKind> kinds = EnumSet.noneOf(AlertKind.class);
            for (String k : s.string(at + "kinds", "budget_threshold,anomaly,unpriced_model").split(",")) {
                try {
                    kinds.add(AlertKind.valueOf(k.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    s.error(at + "kinds: unknown kind \"" + k.strip() + "\"; known: budget_threshold, anomaly, "
                            + "unpriced_model");
                }
            }
            URI uri = null;
            if (url != null) {
                try {
                    uri = URI.create(url);
                    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                        s.error(at + "url: must be an http or https URL");
                    }
                } catch (IllegalArgumentException e) {
                    s.error(at + "url: not a URL");
                }
            }
            endpoints.add(new WebhookEndpoint(name, uri, secret, Set.copyOf(kinds), s.string(at + "scope.prefix", ""),
                    slack));
        }
        return endpoints;
    }
}
