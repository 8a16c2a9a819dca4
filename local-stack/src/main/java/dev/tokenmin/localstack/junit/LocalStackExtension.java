package dev.tokenmin.localstack.junit;

import dev.tokenmin.localstack.LocalStack;
import dev.tokenmin.localstack.LocalStackConfig;
import dev.tokenmin.localstack.Stack;
import dev.tokenmin.localstack.StackEndpoints;
import dev.tokenmin.localstack.containers.ContainerStack;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gives integration tests one shared stack for the whole test run (started once, on first use, and stopped when
 * the run ends) and names unique to each test. Test methods and constructors take a {@link Stack},
 * a {@link LocalStack} (for tests that kill and restart services) or {@link TestNames} as parameters.
 *
 * <p>Which stack, by system property {@code tokenmin.stack}: {@code local} (the default: child processes on this
 * machine) or {@code containers} (Testcontainers images; needs a Docker engine). With
 * {@code tokenmin.stack.endpoints=FILE} the tests attach to a stack already running, such as one started by
 * {@code local-stack up}, and leave it running.
 */
public final class LocalStackExtension implements ParameterResolver {

    /** System property that chooses the stack: {@code local} or {@code containers}. */
    public static final String STACK_PROPERTY = "tokenmin.stack";
    /** System property naming an endpoints file of a stack that is already running. */
    public static final String ENDPOINTS_PROPERTY = "tokenmin.stack.endpoints";

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(LocalStackExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Stack.class || type == LocalStack.class || type == TestNames.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        if (type == TestNames.class) {
            return new TestNames(context.getTestMethod().map(m -> m.getName())
                    .orElseGet(() -> context.getRequiredTestClass().getSimpleName()));
        }
        Stack stack = sharedStack(context);
        if (type == LocalStack.class) {
            if (stack instanceof LocalStack local) {
                return local;
            }
            throw new ParameterResolutionException("this test needs the local stack's processes (it kills or restarts "
                    + "services), but the run uses " + stack.getClass().getSimpleName()
                    + "; run it without -D" + STACK_PROPERTY + " and -D" + ENDPOINTS_PROPERTY);
        }
        return stack;
    }

    /** The run's stack, started on first use and closed by JUnit when the run ends. */
    public static Stack sharedStack(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Stack.class, key -> startStack(), Stack.class);
    }

    private static Stack startStack() {
        String endpoints = System.getProperty(ENDPOINTS_PROPERTY, "");
        if (!endpoints.isBlank()) {
            return Stack.attach(StackEndpoints.read(Path.of(endpoints)));
        }
        String kind = System.getProperty(STACK_PROPERTY, "local");
        return switch (kind) {
            case "local" -> LocalStack.start(LocalStackConfig.in(testWorkDir()).deletingOnClose());
            case "containers" -> ContainerStack.start();
            default -> throw new IllegalArgumentException(STACK_PROPERTY + " must be local or containers, was " + kind);
        };
    }

    /** Under the module's build folder when Maven runs the tests, so {@code mvn clean} removes it. */
    private static Path testWorkDir() {
        try {
            Path target = Path.of("target");
            Path base = Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
            return Files.createTempDirectory(base.toAbsolutePath(), "local-stack-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the local stack's work folder", e);
        }
    }
}
