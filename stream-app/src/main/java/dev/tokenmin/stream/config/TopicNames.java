package dev.tokenmin.stream.config;

import dev.tokenmin.schemas.Topics;

/**
 * The topics the stream app reads and writes. In production they are {@link Topics}' names; tests give each run
 * its own.
 */
public record TopicNames(String usage, String prices, String budgets, String priced, String spend, String alerts,
                         String throttle, String deadLetters, String webhookDeadLetters) {

    public static final TopicNames DEFAULT = new TopicNames(Topics.USAGE, Topics.PRICES, Topics.BUDGETS,
            Topics.USAGE_PRICED, Topics.SPEND, Topics.ALERTS, Topics.THROTTLE, Topics.DLQ, Topics.WEBHOOK_DLQ);

    /** The same names with {@code suffix} appended to each, e.g. for one test run. */
    public TopicNames withSuffix(String suffix) {
        return new TopicNames(usage + suffix, prices + suffix, budgets + suffix, priced + suffix, spend + suffix,
                alerts + suffix, throttle + suffix, deadLetters + suffix, webhookDeadLetters + suffix);
    }
}
