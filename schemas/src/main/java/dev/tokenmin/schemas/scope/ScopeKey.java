package dev.tokenmin.schemas.scope;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What spend is attributed to: {@code global}, {@code customer:acme}, {@code customer:acme/user:u1},
 * {@code customer:acme/feature:summarize}, {@code customer:acme/team:ml} or {@code session:s-42}. A scope key is the
 * Kafka key of spend aggregates and throttle decisions, so its text form is canonical: one spelling per scope.
 */
public record ScopeKey(Kind kind, String customer, String value) {

    /** The kinds of scope; the text form of each is fixed. */
    public enum Kind {
        GLOBAL, CUSTOMER, USER, FEATURE, TEAM, SESSION
    }

    /** Ids: letters, digits and {@code . _ - @ :}, up to 128 characters (pseudonymized user ids such as h:… fit). */
    private static final int MAX_ID = 128;
    /** The rule ids follow, for error messages. */
    public static final String ID_RULE = "1 to 128 letters, digits or . _ - @ :";

    public ScopeKey {
        Objects.requireNonNull(kind, "kind");
        switch (kind) {
            case GLOBAL -> require(customer == null && value == null, "global takes no id");
            case CUSTOMER -> {
                requireId("customer", customer);
                require(value == null, "customer scope takes one id");
            }
            case USER, FEATURE, TEAM -> {
                requireId("customer", customer);
                requireId(kind.name().toLowerCase(Locale.ROOT), value);
            }
            case SESSION -> {
                require(customer == null, "session scope takes no customer");
                requireId("session", value);
            }
        }
    }

    public static final ScopeKey GLOBAL = new ScopeKey(Kind.GLOBAL, null, null);

    public static ScopeKey customer(String customer) {
        return new ScopeKey(Kind.CUSTOMER, customer, null);
    }

    public static ScopeKey user(String customer, String user) {
        return new ScopeKey(Kind.USER, customer, user);
    }

    public static ScopeKey feature(String customer, String feature) {
        return new ScopeKey(Kind.FEATURE, customer, feature);
    }

    public static ScopeKey team(String customer, String team) {
        return new ScopeKey(Kind.TEAM, customer, team);
    }

    public static ScopeKey session(String session) {
        return new ScopeKey(Kind.SESSION, null, session);
    }

    /**
     * Reads the text form.
     *
     * @throws IllegalArgumentException naming the part at fault, e.g. {@code scope "customer:acme/bogus:x": unknown
     *                                  kind "bogus" (expected user, feature or team)}
     */
    public static ScopeKey parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("scope: must not be empty");
        }
        try {
            if (text.equals("global")) {
                return GLOBAL;
            }
            if (text.startsWith("session:")) {
                return session(text.substring("session:".length()));
            }
            if (!text.startsWith("customer:")) {
                throw new IllegalArgumentException("must start with global, customer: or session:");
            }
            String rest = text.substring("customer:".length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                return customer(rest);
            }
            String customer = rest.substring(0, slash);
            String child = rest.substring(slash + 1);
            int colon = child.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("\"" + child + "\" lacks kind:id");
            }
            String kind = child.substring(0, colon);
            String id = child.substring(colon + 1);
            return switch (kind) {
                case "user" -> user(customer, id);
                case "feature" -> feature(customer, id);
                case "team" -> team(customer, id);
                default -> throw new IllegalArgumentException("unknown kind \"" + kind
                        + "\" (expected user, feature or team)");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("scope \"" + text + "\": " + e.getMessage(), e);
        }
    }

    /** Whether {@code id} can be part of a scope key (a customer, user, feature, team or session id). */
    public static boolean isValidId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID) {
            return false;
        }
        // A loop rather than a regular expression: this runs for every id of every event on the emit path.
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-' || c == '@' || c == ':';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Every scope one request falls under, in a fixed order: {@code global}, the customer, then its user, feature
     * and team, then the session. Absent parts are left out; a request without a customer has only global and its
     * session.
     *
     * @throws IllegalArgumentException naming the first id that cannot form a scope key
     */
    public static List<ScopeKey> ofRequest(String customer, String user, String feature, String team,
                                           String session) {
        List<ScopeKey> out = new ArrayList<>(6);
        out.add(GLOBAL);
        if (customer != null) {
            out.add(customer(customer));
            if (user != null) {
                out.add(user(customer, user));
            }
            if (feature != null) {
                out.add(feature(customer, feature));
            }
            if (team != null) {
                out.add(team(customer, team));
            }
        }
        if (session != null) {
            out.add(session(session));
        }
        return out;
    }

    /** This scope and every scope that contains it, narrowest first; {@code global} is always last. */
    public List<ScopeKey> withParents() {
        List<ScopeKey> out = new ArrayList<>();
        out.add(this);
        switch (kind) {
            case USER, FEATURE, TEAM -> out.add(customer(customer));
            default -> {
            }
        }
        if (kind != Kind.GLOBAL) {
            out.add(GLOBAL);
        }
        return out;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case GLOBAL -> "global";
            case CUSTOMER -> "customer:" + customer;
            case USER -> "customer:" + customer + "/user:" + value;
            case FEATURE -> "customer:" + customer + "/feature:" + value;
            case TEAM -> "customer:" + customer + "/team:" + value;
            case SESSION -> "session:" + value;
        };
    }

    private static void requireId(String field, String id) {
        if (!isValidId(id)) {
            throw new IllegalArgumentException(field + " id " + (id == null ? "is missing" : "\"" + id + "\" is not "
                    + ID_RULE));
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
