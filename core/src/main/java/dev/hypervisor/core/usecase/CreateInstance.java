package dev.hypervisor.core.usecase;

import dev.hypervisor.core.driver.DriverRegistry;
import dev.hypervisor.core.driver.SpecRules;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.store.Txn;
import java.time.Clock;

/**
 * CreateInstance: validates, refuses a type this node has no runtime for (and any instance
 * while the node's {@link Admission} says no), reserves the name
 * and stores the record in CREATING with the intent RUNNING, then returns; the reconciler
 * provisions and boots it in the background.
 */
public final class CreateInstance {

    private final InstanceRepository repository;
    private final RequestLog requests;
    private final CreateValidation validation;
    private final DriverRegistry drivers;
    private final InstanceIds ids;
    private final Clock clock;
    private final Admission admission;

    public CreateInstance(InstanceRepository repository, RequestLog requests, CreateValidation validation,
            DriverRegistry drivers, InstanceIds ids, Clock clock) {
        this(repository, requests, validation, drivers, ids, clock, Admission.OPEN);
    }

    /** With the node's admission, which may refuse new instances for a while (RESOURCE_EXHAUSTED). */
    public CreateInstance(InstanceRepository repository, RequestLog requests, CreateValidation validation,
            DriverRegistry drivers, InstanceIds ids, Clock clock, Admission admission) {
        this.admission = admission;
        this.repository = repository;
        this.requests = requests;
        this.validation = validation;
        this.drivers = drivers;
        this.ids = ids;
        this.clock = clock;
    }

    public Instance execute(CreateCommand command) {
        InstanceSpec spec = validation.validate(command);
        if (drivers.require(command.type()) instanceof SpecRules rules) {
            rules.check(spec, command.metadata());
        }
        admission.refusal().ifPresent(reason -> {
            throw new DomainException(ErrorCode.RESOURCE_EXHAUSTED,
                    "node " + drivers.nodeId() + " takes no new instances now: " + reason);
        });
        return requests.execute(command.requestId(), command.fingerprint(), round -> {
            // The first attempt reads nothing: the create-only compare on the name decides. Only
            // after a lost compare is the name looked at, to tell a taken name from a lost race.
            if (round > 0 && repository.nameTaken(command.name())) {
                throw new DomainException(ErrorCode.ALREADY_EXISTS,
                        "an instance named \"" + command.name() + "\" already exists");
            }
            Instance instance = Instance.newInstance(ids.next(), command.name(), command.type(), spec,
                    command.metadata(), command.placement(), drivers.nodeId(), clock.instant());
            Txn txn = Txn.create();
            repository.create(txn, instance);
            return new Planned(txn, instance);
        });
    }
}
