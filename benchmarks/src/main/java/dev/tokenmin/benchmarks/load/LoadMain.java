package dev.tokenmin.benchmarks.load;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./tokenmin load <harness>}: load harnesses that drive a real component on the local stack at a set rate or
 * concurrency and print what they measured. Figures go to docs/benchmarks.md by hand, with the command.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        subcommands = {CeilingLoad.class, EmitLoad.class, SidecarLoad.class, StreamLoad.class, ClickHouseLoad.class,
                PostgresLoad.class},
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
