package dev.berth.engine.leases;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.LabelTable;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.OciJson;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import tools.jackson.core.type.TypeReference;

/**
 * {@link LeaseManager} in the metadata database (tables {@code leases} and {@code lease_resources},
 * domain {@code leases}). Lease ids follow containerd's identifier rule. Thread-safe.
 */
public final class MetadataLeaseStore implements LeaseManager {
    private static final Pattern ID = Pattern.compile("[^\\p{Cntrl}]+");
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() { };

    private final MetadataStore md;
    private final Clock clock;
    private final ReentrantLock freeze = new ReentrantLock();
    private final SecureRandom random = new SecureRandom();

    public MetadataLeaseStore(MetadataStore md, Clock clock) {
        this.md = md;
        this.clock = clock;
        md.migrate("leases", List.of(
                "CREATE TABLE leases (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, labels TEXT NOT NULL)",
                "CREATE TABLE lease_resources (lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE, "
                        + "type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (lease_id, type, id))"));
    }

    @Override
    public Lease create(String id, Map<String, String> labels) {
        // containerd takes any non-empty id (ctr images mount names its lease after the mount path)
        if (id == null || id.isEmpty() || id.length() > 4096 || !ID.matcher(id).matches()) {
            throw BerthException.invalid("lease id \"%s\" is invalid: it must be 1 to 4096 printable characters", id);
        }
        LabelTable.check("lease " + id, labels);
        Lease lease = new Lease(id, clock.instant(), labels);
        md.transaction(tx -> {
            if (tx.exists("SELECT 1 FROM leases WHERE id=?", id)) {
                throw BerthException.alreadyExists("lease %s already exists", id);
            }
            tx.update("INSERT INTO leases(id, created_at, labels) VALUES(?,?,?)", id, lease.createdAt(),
                    new String(OciJson.write(lease.labels()), StandardCharsets.UTF_8));
            return null;
        });
        return lease;
    }

    @Override
    public List<String> releaseTemporary() {
        List<String> released = new java.util.ArrayList<>();
        for (Lease l : list()) {
            if (l.labels().containsKey(Lease.TEMPORARY_LABEL)) {
                delete(l.id());
                released.add(l.id());
            }
        }
        return released;
    }

    @Override
    public Held createTemporary(String prefix, Duration ttl) {
        byte[] b = new byte[6];
        random.nextBytes(b);
        String expiry = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
                clock.instant().plus(ttl).truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));
        Lease lease = create(prefix + "-" + HexFormat.of().formatHex(b), Map.of(Lease.EXPIRE_LABEL, expiry,
                Lease.TEMPORARY_LABEL, Long.toString(ProcessHandle.current().pid())));
        return new Held() {
            private boolean closed;

            @Override
            public Lease lease() {
                return lease;
            }

            @Override
            public void add(LeaseResource r) {
                addResource(lease.id(), r);
            }

            @Override
            public void close() {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    delete(lease.id());
                } catch (BerthException e) {
                    // already deleted (e.g. by `berth leases rm`): nothing left to release
                }
            }
        };
    }

    @Override
    public Optional<Lease> find(String id) {
        return list().stream().filter(l -> l.id().equals(id)).findFirst();
    }

    @Override
    public List<Lease> list() {
        return md.query(tx -> tx.query("SELECT id, created_at, labels FROM leases ORDER BY id",
                rs -> new Lease(rs.getString(1), Instant.parse(rs.getString(2)),
                        OciJson.MAPPER.readValue(rs.getString(3), LABELS))));
    }

    @Override
    public void delete(String id) {
        boolean deleted = md.transaction(tx -> tx.update("DELETE FROM leases WHERE id=?", id) > 0);
        if (!deleted) {
            throw BerthException.notFound("lease %s not found; see berth leases ls", id);
        }
    }

    @Override
    public void addResource(String id, LeaseResource r) {
        freeze.lock();
        try {
            md.transaction(tx -> {
                if (!tx.exists("SELECT 1 FROM leases WHERE id=?", id)) {
                    throw BerthException.notFound("lease %s not found", id);
                }
                tx.update("INSERT OR IGNORE INTO lease_resources(lease_id, type, id) VALUES(?,?,?)", id, r.type(), r.id());
                return null;
            });
        } finally {
            freeze.unlock();
        }
    }

    @Override
    public void deleteResource(String id, LeaseResource r) {
        md.transaction(tx -> tx.update("DELETE FROM lease_resources WHERE lease_id=? AND type=? AND id=?",
                id, r.type(), r.id()));
    }

    @Override
    public List<LeaseResource> resources(String id) {
        return md.query(tx -> tx.query("SELECT type, id FROM lease_resources WHERE lease_id=? ORDER BY type, id",
                rs -> new LeaseResource(rs.getString(1), rs.getString(2)), id));
    }

    @Override
    public <T> T frozen(Supplier<T> work) {
        freeze.lock();
        try {
            return work.get();
        } finally {
            freeze.unlock();
        }
    }

}
