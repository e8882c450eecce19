package dev.hypervisor.core.usecase;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.runtime.RuntimeRegistry;
import dev.hypervisor.core.store.Txn;
import java.time.Clock;

/**
 * CreateInstance: validates, has the instance's runtime admit the spec (refused when this
 * node has none for it, and any instance while the node's {@link Admission} says no),
 * records the runtime class chosen, reserves the name
 * and stores the record in CREATING with the intent RUNNING, then returns; the reconciler
 * provisions and boots it in the background.
 */
public final class CreateInstance {

    private final InstanceRepository repository;
    private final RequestLog requests;
    private final CreateValidation validation;
    private final RuntimeRegistry runtimes;
    private final InstanceIds ids;
    private final Clock clock;
    private final Admission admission;

    public CreateInstance(InstanceRepository repository, RequestLog requests, CreateValidation validation,
            RuntimeRegistry runtimes, InstanceIds ids, Clock clock) {
        this(repository, requests, validation, runtimes, ids, clock, Admission.OPEN);
    }

    /** With the node's admission, which may refuse new instances for a while (RESOURCE_EXHAUSTED). */
    public CreateInstance(InstanceRepository repository, RequestLog requests, CreateValidation validation,
            RuntimeRegistry runtimes, InstanceIds ids, Clock clock, Admission admission) {
        this.admission = admission;
        this.repository = repository;
        this.requests = requests;
        this.validation = validation;
        this.runtimes = runtimes;
        this.ids = ids;
        this.clock = clock;
    }

    public Instance execute(CreateCommand command) {
        InstanceSpec spec = runtimes.admit(command.type(), validation.validate(command), command.metadata());
        admission.refusal().ifPresent(reason -> {
            throw new DomainException(ErrorCode.RESOURCE_EXHAUSTED,
                    "node " + runtimes.nodeId() + " takes no new instances now: " + reason);
        });
        return requests.execute(command.requestId(), command.fingerprint(), round -> {
            // The first attempt reads nothing: the create-only compare on the name decides. Only
            // after a lost compare is the name looked at, to tell a taken name from a lost race.
            if (round > 0 && repository.nameTaken(command.name())) {
                throw new DomainException(ErrorCode.ALREADY_EXISTS,
                        "an instance named \"" + command.name() + "\" already exists");
            }
            Instance instance = Instance.newInstance(ids.next(), command.name(), command.type(), spec,
                    command.metadata(), command.placement(), runtimes.nodeId(), clock.instant());
            Txn txn = Txn.create();
            repository.create(txn, instance);
            return new Planned(txn, instance);
        });
    }
}
