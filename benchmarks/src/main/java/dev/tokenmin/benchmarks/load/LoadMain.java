package dev.tokenmin.benchmarks.load;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./tokenmin load <harness>}: load harnesses that drive a real component on the local stack at a set rate or
 * concurrency and print what they measured; {@code suite} runs them all and writes docs/benchmarks.md.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        subcommands = {CeilingLoad.class, EmitLoad.class, SidecarLoad.class, StreamLoad.class, EndToEndLoad.class,
                ClickHouseLoad.class, FloorLoad.class, DecisionFloorLoad.class, PostgresLoad.class,
                SuiteLoad.class},
        description = "Runs a load harness against the real local stack and prints its figures.")
public final class LoadMain implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadMain()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
