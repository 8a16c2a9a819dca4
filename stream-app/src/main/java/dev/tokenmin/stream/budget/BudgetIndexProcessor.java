package dev.tokenmin.stream.budget;

import dev.tokenmin.avro.Budget;
import dev.tokenmin.schemas.validation.InvalidUsageException;
import dev.tokenmin.stream.errors.InvalidEventException;
import dev.tokenmin.stream.topology.ScopeInput;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the budgets topic (keyed by budget id) into budget changes keyed by scope. It remembers each budget's
 * scope, because a tombstone carries only the id, and a budget moved to another scope must leave the old one.
 * Changes are forwarded with timestamp 0: the by-scope stream's time, which closes spend windows, must follow
 * the events' time only, or a budget change during a catch-up would close windows its events still belong to.
 * A budget that fails {@link BudgetValidator} (written to the topic by something other than tokenmin's own
 * command or endpoint) goes to the dead-letter topic and leaves the budget as it was.
 */
public final class BudgetIndexProcessor implements Processor<String, Budget, String, ScopeInput> {

    private static final Logger LOG = LoggerFactory.getLogger(BudgetIndexProcessor.class);

    private final String storeName;
    private ProcessorContext<String, ScopeInput> context;
    private KeyValueStore<String, String> scopes;

    public BudgetIndexProcessor(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<String, ScopeInput> context) {
        this.context = context;
        this.scopes = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, Budget> record) {
        String id = record.key();
        if (id == null) {
            throw new InvalidEventException("key: missing; the budgets topic is keyed by budget_id");
        }
        String previous = scopes.get(id);
        Budget budget = record.value();
        if (budget == null) {
            if (previous != null) {
                scopes.delete(id);
                context.forward(record.withKey(previous).withValue(ScopeInput.budgetRemoved(id)).withTimestamp(0));
                LOG.info("budget {} on {} removed", id, previous);
            }
            return;
        }
        try {
            BudgetValidator.validate(budget);
        } catch (InvalidUsageException e) {
            throw new InvalidEventException("invalid budget " + id + ": " + e.getMessage());
        }
        if (!id.equals(budget.getBudgetId())) {
            throw new InvalidEventException("key: must be the budget_id " + budget.getBudgetId() + " (was \"" + id
                    + "\")");
        }
        if (previous != null && !previous.equals(budget.getScope())) {
            context.forward(record.withKey(previous).withValue(ScopeInput.budgetRemoved(id)).withTimestamp(0));
        }
        scopes.put(id, budget.getScope());
        context.forward(record.withKey(budget.getScope()).withValue(ScopeInput.budgetSet(budget)).withTimestamp(0));
        LOG.info("budget {} on {} {}: {} {} per {}{}", id, budget.getScope(), previous == null ? "created" : "changed",
                budget.getLimit(), budget.getLimitUnit(), budget.getPeriod(), budget.getHard() ? ", hard" : ", soft");
    }
}
