package dev.berth.engine.leases;

import dev.berth.engine.errdefs.BerthException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Leases and the resources they hold (containerd's lease manager). Work in progress (a pull, an
 * unpack, an import) creates a lease, adds each object to it <em>before</em> it checks for or
 * creates the object, and deletes the lease when done; a crashed process leaves a lease that ends at
 * its expiry. Garbage collection keeps every object of every live lease.
 *
 * <p>Thread-safe. {@link #addResource} never interleaves with {@link #frozen}: a collection runs
 * entirely before or entirely after each add, so an object added to a lease is never swept by a
 * collection that started before the add.
 */
public interface LeaseManager {

    /**
     * Creates a lease.
     *
     * @throws BerthException ALREADY_EXISTS when {@code id} is taken; INVALID_ARGUMENT for a bad id
     */
    Lease create(String id, Map<String, String> labels);

    /**
     * Creates a lease named {@code prefix-<random>} that expires after {@code ttl} (containerd's
     * client leases expire after 24 h). The handle deletes it on close.
     */
    Held createTemporary(String prefix, Duration ttl);

    /**
     * Deletes every lease made by {@link #createTemporary} (label {@link Lease#TEMPORARY_LABEL}): the
     * work they held died with the process that made them. Call only as the owner of the root lock,
     * before any temporary lease of this process exists, so that no live process owns one. What the
     * leases held becomes collectable; a partial download stays as its ingest and resumes by ref.
     *
     * @return the ids released
     */
    List<String> releaseTemporary();

    /** The lease {@code id}, if present. */
    Optional<Lease> find(String id);

    /** All leases, ordered by id. */
    List<Lease> list();

    /**
     * Deletes a lease; what it held becomes collectable unless something else holds it.
     *
     * @throws BerthException NOT_FOUND when absent
     */
    void delete(String id);

    /**
     * Adds {@code r} to lease {@code id}. Idempotent.
     *
     * @throws BerthException NOT_FOUND when the lease is absent
     */
    void addResource(String id, LeaseResource r);

    /** Removes {@code r} from lease {@code id}; no-op when it does not hold it. */
    void deleteResource(String id, LeaseResource r);

    /** The resources lease {@code id} holds, ordered by type and id. */
    List<LeaseResource> resources(String id);

    /** Runs {@code work} while no resource can be added to any lease (garbage collection uses this). */
    <T> T frozen(Supplier<T> work);

    /** A lease owned by one piece of work; {@link #close()} deletes it. Not thread-safe. */
    interface Held extends AutoCloseable {
        Lease lease();

        /** Adds {@code r} to the lease (see {@link LeaseManager#addResource}). */
        void add(LeaseResource r);

        /** Deletes the lease; idempotent, never throws. */
        @Override
        void close();
    }
}
