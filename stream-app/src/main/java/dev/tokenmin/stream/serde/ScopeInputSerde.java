package dev.tokenmin.stream.serde;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.stream.topology.ScopeInput;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The by-scope topic's values: one tag byte (1 counted spend, 2 budget set, 3 budget removed), then the spend delta in
 * {@link InternalSerdes}' compact form (which still reads a single counted event, the format before deltas), the budget
 * in the budgets topic's format (through the registry, under the subject the budgets topic already uses, never one of
 * its own), or the removed budget's id in UTF-8.
 */
public final class ScopeInputSerde implements Serde<ScopeInput> {

    private static final byte USAGE = 1;
    private static final byte BUDGET_SET = 2;
    private static final byte BUDGET_REMOVED = 3;

    private final Serde<Budget> budget;
    private final String budgetsTopic;

    /** @param budgetsTopic the topic whose format budgets take (its registry subject) */
    public ScopeInputSerde(Serde<Budget> budget, String budgetsTopic) {
        this.budget = budget;
        this.budgetsTopic = budgetsTopic;
    }

    @Override
    public Serializer<ScopeInput> serializer() {
        return (topic, in) -> {
            if (in == null) {
                return null;
            }
            if (in.usage() != null) {
                return InternalSerdes.encode(out -> {
                    out.writeByte(USAGE);
                    InternalSerdes.writeDelta(out, in.usage());
                });
            }
            if (in.budget() != null) {
                return tagged(BUDGET_SET, budget.serializer().serialize(budgetsTopic, in.budget()));
            }
            return tagged(BUDGET_REMOVED, in.budgetId().getBytes(StandardCharsets.UTF_8));
        };
    }

    @Override
    public Deserializer<ScopeInput> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length == 0) {
                throw new SerializationException("empty by-scope record");
            }
            byte[] body = Arrays.copyOfRange(bytes, 1, bytes.length);
            return switch (bytes[0]) {
                case USAGE -> ScopeInput.of(InternalSerdes.decode(body, InternalSerdes::readDelta));
                case BUDGET_SET -> ScopeInput.budgetSet(budget.deserializer().deserialize(budgetsTopic, body));
                case BUDGET_REMOVED -> ScopeInput.budgetRemoved(new String(body, StandardCharsets.UTF_8));
                default -> throw new SerializationException("unknown by-scope record tag " + bytes[0]);
            };
        };
    }

    private static byte[] tagged(byte tag, byte[] body) {
        byte[] out = new byte[body.length + 1];
        out[0] = tag;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }
}
