package dev.tokenmin.k8s;

import dev.tokenmin.schemas.Topics;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleClusterResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTransactionalIdResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Renders {@code k8s/overlays/dev} and {@code prod} with kubectl and checks, through fabric8's and Strimzi's typed
 * models, what the deployment promises: probes, requests, limits and a hardened non-root context on every container;
 * a KafkaTopic with the designed policy for every topic in the code; least-privilege ACLs per component; the stream
 * app's state, membership and standbys; PDBs and ServiceMonitors; configuration from ConfigMaps and credentials
 * from Secrets that the repository never holds.
 */
class ManifestsTest {

    private static final Map<String, Rendered> OVERLAYS = new HashMap<>();

    /** A workload's pods, by "Kind/name". */
    private record Workload(String id, Map<String, String> labels, PodSpec pod, boolean longRunning) {
    }

    @BeforeAll
    static void render() throws Exception {
        for (String overlay : List.of("dev", "prod")) {
            OVERLAYS.put(overlay, Rendered.overlay(overlay));
        }
    }

    private static List<Workload> workloads(Rendered r) {
        List<Workload> all = new ArrayList<>();
        for (Deployment d : r.all("Deployment", Deployment.class)) {
            all.add(new Workload("Deployment/" + d.getMetadata().getName(),
                    d.getSpec().getTemplate().getMetadata().getLabels(), d.getSpec().getTemplate().getSpec(), true));
        }
        for (StatefulSet s : r.all("StatefulSet", StatefulSet.class)) {
            all.add(new Workload("StatefulSet/" + s.getMetadata().getName(),
                    s.getSpec().getTemplate().getMetadata().getLabels(), s.getSpec().getTemplate().getSpec(), true));
        }
        for (Job j : r.all("Job", Job.class)) {
            all.add(new Workload("Job/" + j.getMetadata().getName(),
                    j.getSpec().getTemplate().getMetadata().getLabels(), j.getSpec().getTemplate().getSpec(), false));
        }
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyContainerHasProbesRequestsLimitsAndAHardenedNonRootContext(String overlay) {
        List<Workload> workloads = workloads(OVERLAYS.get(overlay));
        assertThat(workloads).extracting(Workload::id).contains("StatefulSet/tokenmin-stream-app",
                "Deployment/tokenmin-sink", "Deployment/gateway-sample", "Deployment/schema-registry",
                "StatefulSet/clickhouse", "StatefulSet/registry-db", "Job/tokenmin-migrate");
        for (Workload w : workloads) {
            PodSecurityContext pod = w.pod().getSecurityContext();
            assertThat(pod).as("%s pod securityContext", w.id()).isNotNull();
            assertThat(pod.getSeccompProfile().getType()).as(w.id()).isEqualTo("RuntimeDefault");
            for (Container c : w.pod().getContainers()) {
                String at = w.id() + " container " + c.getName();
                if (w.longRunning()) {
                    assertThat(c.getReadinessProbe()).as(at + " readiness probe").isNotNull();
                    assertThat(c.getLivenessProbe()).as(at + " liveness probe").isNotNull();
                }
                assertThat(c.getResources().getRequests()).as(at + " requests").containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as(at + " limits").containsKey("memory");
                SecurityContext sc = c.getSecurityContext();
                assertThat(sc).as(at + " securityContext").isNotNull();
                Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : pod.getRunAsNonRoot();
                Long user = sc.getRunAsUser() != null ? sc.getRunAsUser() : pod.getRunAsUser();
                assertThat(nonRoot).as(at + " runAsNonRoot").isTrue();
                assertThat(user).as(at + " runAsUser").isNotNull().isNotZero();
                assertThat(sc.getAllowPrivilegeEscalation()).as(at + " allowPrivilegeEscalation").isFalse();
                assertThat(sc.getCapabilities().getDrop()).as(at + " capabilities dropped").contains("ALL");
                assertThat(sc.getPrivileged()).as(at + " privileged").isNotEqualTo(Boolean.TRUE);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyTopicInTheCodeIsAKafkaTopicWithItsDesignedPolicy(String overlay) {
        Map<String, KafkaTopic> byName = OVERLAYS.get(overlay).all("KafkaTopic", KafkaTopic.class).stream()
                .collect(Collectors.toMap(t -> t.getSpec().getTopicName(), t -> t));
        assertThat(byName.keySet()).containsExactlyInAnyOrderElementsOf(Topics.ALL);
        for (String topic : Topics.ALL) {
            KafkaTopic t = byName.get(topic);
            assertThat(t.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "tokenmin");
            assertThat(t.getSpec().getPartitions()).as(topic).isPositive();
            Map<String, String> config = t.getSpec().getConfig().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue())));
            assertThat(config).as(topic).containsAllEntriesOf(Topics.CONFIGS.get(topic));
        }
    }

    /** Each user's grants as "type name pattern operation" strings. */
    private static Map<String, Set<String>> grants(Rendered r) {
        Map<String, Set<String>> grants = new HashMap<>();
        for (KafkaUser u : r.all("KafkaUser", KafkaUser.class)) {
            assertThat(u.getSpec().getAuthentication().getType()).isEqualTo("scram-sha-512");
            Set<String> g = new TreeSet<>();
            for (AclRule rule : ((KafkaUserAuthorizationSimple) u.getSpec().getAuthorization()).getAcls()) {
                String resource = switch (rule.getResource()) {
                    case AclRuleTopicResource t -> "topic " + t.getName() + " " + t.getPatternType();
                    case AclRuleGroupResource t -> "group " + t.getName() + " " + t.getPatternType();
                    case AclRuleTransactionalIdResource t -> "transactionalId " + t.getName() + " "
                            + t.getPatternType();
                    case AclRuleClusterResource c -> "cluster";
                    default -> "other " + rule.getResource().getType();
                };
                rule.getOperations().forEach(op -> g.add(resource + " " + op));
            }
            grants.put(u.getMetadata().getName(), g);
        }
        return grants;
    }

    @Test
    void eachComponentHasItsOwnPrincipalWithOnlyWhatItNeeds() {
        Map<String, Set<String>> grants = grants(OVERLAYS.get("prod"));
        assertThat(grants).containsOnlyKeys("tokenmin-agent", "tokenmin-stream-app", "tokenmin-sink",
                "tokenmin-notifier", "tokenmin-operator");
        assertThat(grants.get("tokenmin-agent")).containsExactlyInAnyOrder(
                "topic tokenmin.usage.v1 LITERAL WRITE", "topic tokenmin.usage.v1 LITERAL DESCRIBE",
                "topic tokenmin.throttle.v1 LITERAL READ", "topic tokenmin.throttle.v1 LITERAL DESCRIBE");
        assertThat(grants.get("tokenmin-sink")).allMatch(g -> g.endsWith(" READ") || g.endsWith(" DESCRIBE"));
        assertThat(grants.get("tokenmin-sink")).noneMatch(g -> g.contains("tokenmin.usage.v1 "));
        for (Map.Entry<String, Set<String>> user : grants.entrySet()) {
            for (String g : user.getValue()) {
                assertThat(g).as(user.getKey()).doesNotStartWith("cluster").doesNotContain(" * ")
                        .doesNotEndWith(" ALL").doesNotContain("ALTER");
                if (g.contains(" PREFIX ")) {
                    assertThat(g).as(user.getKey() + ": prefixed grants only on its own names")
                            .matches(".* (tokenmin-stream-|tokenmin-stream|tokenmin-clickhouse-sink-"
                                    + "|tokenmin-notifier-) PREFIX .*");
                }
            }
        }
        // The stream app's internal topics, group and transactional ids are its application id's.
        StatefulSet app = streamApp(OVERLAYS.get("prod"));
        String applicationId = env(app.getSpec().getTemplate().getSpec().getContainers().getFirst(),
                "TOKENMIN_APPLICATION_ID");
        assertThat(grants.get("tokenmin-stream-app")).contains(
                "topic " + applicationId + "- PREFIX CREATE", "group " + applicationId + " PREFIX READ",
                "transactionalId " + applicationId + "- PREFIX WRITE");
        // Only the stream app writes its outputs; nothing but the agent writes usage.
        for (String output : List.of(Topics.USAGE_PRICED, Topics.SPEND, Topics.THROTTLE, Topics.ALERTS)) {
            assertThat(grants.entrySet().stream().filter(e -> e.getValue().contains("topic " + output
                    + " LITERAL WRITE")).map(Map.Entry::getKey)).as(output).containsExactly("tokenmin-stream-app");
        }
        assertThat(grants.entrySet().stream().filter(e -> e.getValue().contains("topic " + Topics.USAGE
                + " LITERAL WRITE")).map(Map.Entry::getKey)).containsExactly("tokenmin-agent");
    }

    @Test
    void everyKafkaClientAuthenticatesAsAUserThatExists() {
        Rendered prod = OVERLAYS.get("prod");
        Set<String> users = prod.all("KafkaUser", KafkaUser.class).stream().map(u -> u.getMetadata().getName())
                .collect(Collectors.toSet());
        Map<String, String> principalOf = new HashMap<>();
        for (Workload w : workloads(prod)) {
            for (Container c : w.pod().getContainers()) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getName().equals("TOKENMIN_KAFKA_SASL_JAAS_CONFIG")) {
                        assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("sasl.jaas.config");
                        principalOf.put(w.id() + "/" + c.getName(), e.getValueFrom().getSecretKeyRef().getName());
                    }
                }
            }
        }
        assertThat(principalOf).containsEntry("StatefulSet/tokenmin-stream-app/stream-app", "tokenmin-stream-app")
                .containsEntry("Deployment/tokenmin-sink/sink", "tokenmin-sink")
                .containsEntry("Deployment/gateway-sample/tokenmin-sidecar", "tokenmin-agent");
        assertThat(users).containsAll(principalOf.values());
    }

    @Test
    void kafkaIsKraftWithOneBrokerInDevAndThreeBehindTlsAndScramInProd() {
        for (String overlay : List.of("dev", "prod")) {
            Rendered r = OVERLAYS.get(overlay);
            Kafka kafka = r.all("Kafka", Kafka.class).getFirst();
            assertThat(kafka.getMetadata().getAnnotations()).containsEntry("strimzi.io/kraft", "enabled")
                    .containsEntry("strimzi.io/node-pools", "enabled");
            KafkaNodePool pool = r.all("KafkaNodePool", KafkaNodePool.class).getFirst();
            assertThat(pool.getSpec().getRoles()).contains(ProcessRoles.BROKER, ProcessRoles.CONTROLLER);
            assertThat(pool.getSpec().getReplicas()).as(overlay).isEqualTo(overlay.equals("dev") ? 1 : 3);
            assertThat(kafka.getSpec().getKafka().getAuthorization().getType()).isEqualTo("simple");
            for (GenericKafkaListener l : kafka.getSpec().getKafka().getListeners()) {
                assertThat(l.getAuth().getType()).as(overlay + " listener " + l.getName())
                        .isEqualTo("scram-sha-512");
                if (overlay.equals("prod")) {
                    assertThat(l.isTls()).as("prod listener " + l.getName() + " TLS").isTrue();
                }
            }
            Map<String, Object> config = kafka.getSpec().getKafka().getConfig();
            int rf = overlay.equals("dev") ? 1 : 3;
            assertThat(config).containsEntry("transaction.state.log.replication.factor", rf)
                    .containsEntry("default.replication.factor", rf);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void streamAppKeepsStateOnAVolumeWithStaticMembershipAndEveryWorkloadHasAPdbAndMetrics(String overlay) {
        Rendered r = OVERLAYS.get(overlay);
        StatefulSet app = streamApp(r);
        Container c = app.getSpec().getTemplate().getSpec().getContainers().getFirst();
        String stateDir = env(c, "TOKENMIN_STATE_DIR");
        assertThat(app.getSpec().getVolumeClaimTemplates()).extracting(v -> v.getMetadata().getName())
                .containsExactly("state");
        assertThat(c.getVolumeMounts()).anyMatch(m -> m.getName().equals("state")
                && m.getMountPath().equals(stateDir));
        assertThat(env(c, "TOKENMIN_KAFKA_GROUP_INSTANCE_ID")).isEqualTo("$(POD_NAME)");
        int standbys = Integer.parseInt(env(c, "TOKENMIN_KAFKA_NUM_STANDBY_REPLICAS"));
        assertThat(standbys).isEqualTo(overlay.equals("prod") ? 1 : 0);
        assertThat(app.getSpec().getReplicas()).isGreaterThan(standbys);

        List<PodDisruptionBudget> pdbs = r.all("PodDisruptionBudget", PodDisruptionBudget.class);
        for (Workload w : workloads(r)) {
            if (w.longRunning()) {
                assertThat(pdbs).as(w.id() + " has a PDB").anyMatch(p -> w.labels().entrySet()
                        .containsAll(p.getSpec().getSelector().getMatchLabels().entrySet()));
            }
        }
        assertThat(r.all("ServiceMonitor", ServiceMonitor.class)).extracting(m -> m.getMetadata().getName())
                .contains("tokenmin-stream-app", "tokenmin-sink", "gateway-sample-sidecar");
        Deployment gateway = r.all("Deployment", Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals("gateway-sample")).findFirst().orElseThrow();
        assertThat(gateway.getSpec().getTemplate().getSpec().getContainers()).extracting(Container::getName)
                .containsExactlyInAnyOrder("gateway", "tokenmin-sidecar");
        Job migrate = r.all("Job", Job.class).getFirst();
        assertThat(migrate.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs())
                .containsExactly("--migrate-only");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void streamAppRunsAStreamThreadPerRequestedCoreAndEachThreadHasPartitions(String overlay) {
        Rendered r = OVERLAYS.get(overlay);
        StatefulSet app = streamApp(r);
        Container c = app.getSpec().getTemplate().getSpec().getContainers().getFirst();
        int threads = c.getEnv().stream().filter(e -> e.getName().equals("TOKENMIN_KAFKA_NUM_STREAM_THREADS"))
                .map(e -> Integer.parseInt(e.getValue())).findFirst().orElse(1); // Kafka Streams' default
        int cores = Math.max(1, c.getResources().getRequests().get("cpu").getNumericalAmount().intValue());
        assertThat(threads).as("stream threads for %d requested core(s)", cores).isEqualTo(cores);
        int usagePartitions = r.all("KafkaTopic", KafkaTopic.class).stream()
                .filter(t -> t.getSpec().getTopicName().equals(Topics.USAGE)).findFirst().orElseThrow()
                .getSpec().getPartitions();
        assertThat(app.getSpec().getReplicas() * threads).as("stream threads in all").isLessThanOrEqualTo(
                usagePartitions);
    }

    private static final Pattern SECRET_NAME = Pattern.compile(".*(PASSWORD|TOKEN|JAAS|SECRET|_KEY)$");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void configComesFromConfigMapsAndCredentialsFromSecretsNeverInTheRepository(String overlay) {
        Rendered r = OVERLAYS.get(overlay);
        assertThat(r.ofKind("Secret")).as("no Secret is rendered from the repository").isEmpty();
        Set<String> configMaps = r.ofKind("ConfigMap").stream().map(d -> d.path("metadata").path("name").asText())
                .collect(Collectors.toSet());
        for (Workload w : workloads(r)) {
            for (Container c : w.pod().getContainers()) {
                for (EnvVar e : c.getEnv()) {
                    if (SECRET_NAME.matcher(e.getName()).matches()) {
                        assertThat(e.getValue()).as(w.id() + " " + e.getName() + " is a literal").isNull();
                        assertThat(e.getValueFrom().getSecretKeyRef()).as(w.id() + " " + e.getName()).isNotNull();
                    }
                }
                if (c.getImage().startsWith("tokenmin/")) {
                    assertThat(c.getEnvFrom()).as(w.id() + " " + c.getName() + " reads the clients ConfigMap")
                            .anyMatch(f -> f.getConfigMapRef() != null
                                    && configMaps.contains(f.getConfigMapRef().getName()));
                }
            }
        }
    }

    @Test
    void noFileUnderK8sHoldsACredential() throws IOException {
        Pattern credential = Pattern.compile("(?i)(password|passwd|secret|token|sasl\\.jaas\\.config)\\s*[:=]\\s*"
                + "[\"']?[A-Za-z0-9+/_\\-]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|ScramLoginModule required");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Rendered.k8sDir())) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.toString().contains("/target/"))
                    .filter(f -> !f.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                var m = credential.matcher(text);
                while (m.find()) {
                    found.add(f + ": " + m.group());
                }
            }
        }
        assertThat(found).isEmpty();
    }

    private static StatefulSet streamApp(Rendered r) {
        return r.all("StatefulSet", StatefulSet.class).stream()
                .filter(s -> s.getMetadata().getName().equals("tokenmin-stream-app")).findFirst().orElseThrow();
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has no " + name));
    }
}
