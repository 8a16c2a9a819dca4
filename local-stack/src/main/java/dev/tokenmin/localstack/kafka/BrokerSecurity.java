package dev.tokenmin.localstack.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a secured local broker needs: a key pair and certificate for 127.0.0.1 (PKCS12 key store), a trust store
 * holding that certificate for clients, and the SCRAM-SHA-512 credentials of its admin user (a super user, the
 * only principal that exists when the broker first starts). Client listener: SASL_SSL with SCRAM-SHA-512;
 * controller listener: TLS with client certificates (SCRAM cannot authenticate controllers in KRaft), where the
 * broker authenticates with its own certificate as {@link #BROKER_PRINCIPAL}.
 * <p>
 * {@link #generate} makes fresh ones with the JDK's {@code keytool} (the JDK has no public API that issues
 * certificates, and a library such as Bouncy Castle is not worth a dependency for a test fixture). The broker's
 * {@code server.properties} in its home holds these secrets in clear: a fixture for tests on one machine, not a
 * production configuration (k8s/ declares the real cluster's users and ACLs through Strimzi).
 *
 * @param keyStore   PKCS12: the broker's key and self-signed certificate (CN=tokenmin-broker, SAN IP 127.0.0.1)
 * @param trustStore PKCS12: the certificate alone, for clients
 * @param password   of both stores
 * @param admin      the super user's name
 * @param adminSecret the super user's password
 */
public record BrokerSecurity(Path keyStore, Path trustStore, String password, String admin, String adminSecret) {

    /** The broker's own principal on the controller listener (the subject of its certificate). */
    public static final String BROKER_PRINCIPAL = "User:CN=tokenmin-broker";
    public static final String MECHANISM = "SCRAM-SHA-512";

    @Override
    public String toString() {
        return "BrokerSecurity[keyStore=" + keyStore + ", admin=" + admin + ", secrets=***]";
    }

    /** Fresh stores and an admin password in {@code dir}, with a certificate valid for two days. */
    public static BrokerSecurity generate(Path dir) {
        String password = randomSecret();
        Path keyStore = dir.resolve("broker.p12");
        Path trustStore = dir.resolve("truststore.p12");
        Path cert = dir.resolve("broker.crt");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(keyStore);
            Files.deleteIfExists(trustStore);
            keytool(dir, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=tokenmin-broker", "-ext", "SAN=IP:127.0.0.1,DNS:localhost", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", password);
            keytool(dir, "-exportcert", "-rfc", "-alias", "broker", "-keystore", keyStore.toString(),
                    "-storepass", password, "-file", cert.toString());
            keytool(dir, "-importcert", "-noprompt", "-alias", "broker", "-file", cert.toString(),
                    "-storetype", "PKCS12", "-keystore", trustStore.toString(), "-storepass", password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write certificates in " + dir, e);
        }
        return new BrokerSecurity(keyStore, trustStore, password, "admin", randomSecret());
    }

    /** Client settings for {@code user}: SASL_SSL, SCRAM-SHA-512, trusting the broker's certificate. */
    public Map<String, Object> client(String user, String secret) {
        return Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", MECHANISM,
                "sasl.jaas.config", jaas(user, secret),
                "ssl.truststore.location", trustStore.toString(),
                "ssl.truststore.password", password,
                "ssl.truststore.type", "PKCS12");
    }

    /** Client settings of the admin (super) user. */
    public Map<String, Object> adminClient() {
        return client(admin, adminSecret);
    }

    /** The broker's settings for its listeners, SASL, TLS and authorizer (ports and roles come from the broker). */
    Map<String, String> brokerSettings() {
        String store = keyStore.toString();
        return Map.ofEntries(
                Map.entry("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SSL"),
                Map.entry("inter.broker.listener.name", "SASL_SSL"),
                Map.entry("sasl.enabled.mechanisms", MECHANISM),
                Map.entry("sasl.mechanism.inter.broker.protocol", MECHANISM),
                Map.entry("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", jaas(admin, adminSecret)),
                Map.entry("ssl.keystore.location", store),
                Map.entry("ssl.keystore.password", password),
                Map.entry("ssl.keystore.type", "PKCS12"),
                Map.entry("ssl.truststore.location", trustStore.toString()),
                Map.entry("ssl.truststore.password", password),
                Map.entry("ssl.truststore.type", "PKCS12"),
                Map.entry("listener.name.controller.ssl.client.auth", "required"),
                Map.entry("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"),
                Map.entry("allow.everyone.if.no.acl.found", "false"),
                Map.entry("super.users", "User:" + admin + ";" + BROKER_PRINCIPAL));
    }

    /** The storage format argument that creates the admin's SCRAM credential. */
    List<String> formatArguments() {
        return List.of("--add-scram", MECHANISM + "=[name=" + admin + ",password=" + adminSecret + "]");
    }

    private static String jaas(String user, String secret) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + secret + "\";";
    }

    private static String randomSecret() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void keytool(Path dir, String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(Duration.ofMinutes(1).toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within a minute");
            }
            if (p.exitValue() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + new String(p.getInputStream().readAllBytes())
                        .strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }
}
