package dev.berth.engine.runtime.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.runtime.TaskState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** state.json and /proc/<pid>/stat parsing, and the decision order, over fixture files. */
class RuncStateFilesTest {
    private static final String CGROUP = "berth-t/default/web";

    @TempDir
    Path tmp;
    Path container;
    Path proc;
    Path cgroupRoot;
    RuncStateFiles files;

    @BeforeEach
    void setUp() throws Exception {
        container = Files.createDirectories(tmp.resolve("runc/default/web"));
        proc = Files.createDirectories(tmp.resolve("proc"));
        cgroupRoot = Files.createDirectories(tmp.resolve("cgroup"));
        Files.writeString(cgroupRoot.resolve("cgroup.controllers"), "cpu memory pids\n");
        freezer("0", "0");
        files = new RuncStateFiles(Cgroups.at(cgroupRoot), proc);
    }

    /** A state.json shaped as runc 1.1 writes it: the whole libcontainer config sits between the fields read. */
    static String stateJson(long pid, long start, String cgroupDir) {
        return "{\"id\":\"web\",\"init_process_pid\":" + pid + ",\"init_process_start\":" + start
                + ",\"created\":\"2026-11-27T22:30:18.001132518Z\",\"config\":{\"no_pivot_root\":false,"
                + "\"parent_death_signal\":0,\"rootfs\":\"/b/rootfs\",\"umask\":null,\"readonlyfs\":false,"
                + "\"mounts\":[{\"source\":\"proc\",\"destination\":\"/proc\",\"device\":\"proc\",\"flags\":0,"
                + "\"data\":\"\",\"extensions\":0}],\"devices\":[{\"type\":99,\"major\":1,\"minor\":3,"
                + "\"permissions\":\"rwm\",\"allow\":true,\"path\":\"/dev/null\",\"file_mode\":438,\"uid\":0,\"gid\":0}],"
                + "\"cgroups\":{\"path\":\"/" + CGROUP + "\",\"init_process_pid\":\"not this one\",\"Resources\":"
                + "{\"Devices\":[],\"Freezer\":\"\",\"Memory\":0}},\"hostname\":\"web\",\"labels\":[\"bundle=/b\"],"
                + "\"init_process_start\":[1,2],\"Hooks\":null},\"rootless\":false,"
                + "\"cgroup_paths\":{\"\":\"" + cgroupDir + "\",\"freezer\":\"/sys/fs/cgroup/freezer/" + CGROUP + "\"},"
                + "\"namespace_paths\":{\"NEWPID\":\"/proc/" + pid + "/ns/pid\"},"
                + "\"external_descriptors\":[\"/dev/null\",\"pipe:[1]\",\"pipe:[2]\"],\"intel_rdt_path\":\"\"}";
    }

    private static String v2Dir() {
        return "/sys/fs/cgroup/" + CGROUP;
    }

    private void writeState(String json) throws Exception {
        Files.writeString(container.resolve(RuncStateFiles.STATE_FILE), json);
    }

    private void writeStat(long pid, char state, long start) throws Exception {
        Path d = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(d.resolve("stat"), pid + " (sh) x) " + state + " 1 " + pid + " " + pid
                + " 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 " + start + " 1409024 200 18446744073709551615 1 1 0 0 0 0 0 "
                + "0 65536 0 0 0 17 1 0 0 0 0 0\n");
    }

    private void freezer(String freeze, String frozen) throws Exception {
        Path d = Files.createDirectories(cgroupRoot.resolve(CGROUP));
        Files.writeString(d.resolve("cgroup.freeze"), freeze + "\n");
        Files.writeString(d.resolve("cgroup.events"), "populated 1\nfrozen " + frozen + "\n");
    }

    private Optional<TaskState> decide() {
        return files.state(container, CGROUP).map(OciRuntimeCli.State::state);
    }

    @Test
    void readsOnlyTheTopLevelFieldsOfARealShapedFile() {
        RuncStateFiles.Init init = RuncStateFiles.parse(stateJson(4413, 875263, v2Dir())
                .getBytes(StandardCharsets.UTF_8)).orElseThrow();
        assertEquals(new RuncStateFiles.Init(4413, 875263, "/sys/fs/cgroup/freezer/" + CGROUP, v2Dir()), init);
    }

    @Test
    void partialOrMalformedFilesAreNotDecided() {
        String full = stateJson(4413, 875263, v2Dir());
        // every cut of the file: a reader racing a non-atomic writer must never get an answer
        for (int len = 0; len < full.length(); len++) {
            assertEquals(Optional.empty(), RuncStateFiles.parse(full.substring(0, len).getBytes(StandardCharsets.UTF_8)),
                    "cut at " + len);
        }
        assertTrue(RuncStateFiles.parse((full + "\n").getBytes(StandardCharsets.UTF_8)).isPresent());
        for (String bad : new String[] {"", "null", "[]", "{}", full + "{}", full.replace("\"init_process_pid\":4413,", ""),
                full.replace(",\"init_process_start\":875263", ""), full.replace("\"init_process_pid\":4413", "\"init_process_pid\":\"4413\""),
                full.replace("\"init_process_pid\":4413", "\"init_process_pid\":0"),
                full.replace("\"init_process_start\":875263", "\"init_process_start\":1.5"),
                full.replace("\"cgroup_paths\":{", "\"cgroup_pathz\":{"),
                full.replace("\"cgroup_paths\":{\"\":\"" + v2Dir() + "\",", "\"cgroup_paths\":{\"\":7,")}) {
            assertEquals(Optional.empty(), RuncStateFiles.parse(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }

    @Test
    void procStatFieldsCountFromTheLastParenthesis() {
        assertEquals(Optional.of(new RuncStateFiles.ProcStat('S', 875263)), RuncStateFiles.parseStat(
                "4413 (sleep) S 4400 4413 4413 0 -1 4194560 87 0 0 0 0 0 0 0 20 0 1 0 875263 1409024 1 x"));
        assertEquals(Optional.of(new RuncStateFiles.ProcStat('Z', 12)), RuncStateFiles.parseStat(
                "7 (a) b) (c) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12 0 0"));
        assertEquals(Optional.empty(), RuncStateFiles.parseStat("7 (sleep) S 1 2 3"));
        assertEquals(Optional.empty(), RuncStateFiles.parseStat("7 (sleep"));
        assertEquals(Optional.empty(), RuncStateFiles.parseStat(
                "7 (a) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 soon 0 0"));
    }

    @Test
    void decidesInRuncsOrder() throws Exception {
        writeState(stateJson(4413, 875263, v2Dir()));
        writeStat(4413, 'S', 875263);
        Files.createFile(container.resolve(RuncStateFiles.EXEC_FIFO));
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.CREATED, 4413)), files.state(container, CGROUP));
        Files.delete(container.resolve(RuncStateFiles.EXEC_FIFO));
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.RUNNING, 4413)), files.state(container, "/" + CGROUP));
        freezer("1", "1");
        assertEquals(Optional.of(TaskState.PAUSED), decide());
        freezer("1", "0");
        assertEquals(Optional.empty(), decide(), "freezing: ask runc");
        freezer("0", "0");
        writeStat(4413, 'Z', 875263);
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.STOPPED, 0)), files.state(container, CGROUP));
        writeStat(4413, 'X', 875263);
        assertEquals(Optional.of(TaskState.STOPPED), decide());
        writeStat(4413, 'x', 875263);
        assertEquals(Optional.empty(), decide(), "a state letter runc does not name: ask runc");
        writeStat(4413, 'S', 875264);
        assertEquals(Optional.of(TaskState.STOPPED), decide(), "another process got the pid");
        Files.delete(proc.resolve("4413/stat"));
        assertEquals(Optional.of(TaskState.STOPPED), decide(), "init gone");
        // runc checks the freezer first: a frozen cgroup is paused whatever its init did
        freezer("1", "1");
        assertEquals(Optional.of(TaskState.PAUSED), decide());
    }

    @Test
    void aReplacedStateFileIsReadAgain() throws Exception {
        writeState(stateJson(4413, 875263, v2Dir()));
        writeStat(4413, 'S', 875263);
        writeStat(5514, 'S', 990001);
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.RUNNING, 4413)), files.state(container, CGROUP));
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.RUNNING, 4413)), files.state(container, CGROUP),
                "the kept parse answers the same");
        // as runc writes it: a new file renamed over the old one (same length: only its identity differs)
        Path next = container.resolve("state.json.tmp");
        Files.writeString(next, stateJson(5514, 990001, v2Dir()));
        Files.move(next, container.resolve(RuncStateFiles.STATE_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.RUNNING, 5514)), files.state(container, CGROUP));
        Files.delete(container.resolve(RuncStateFiles.STATE_FILE));
        assertEquals(Optional.empty(), decide(), "no state.json: nothing kept answers for it");
    }

    @Test
    void undecidedWhenTheFilesDoNotSettleIt() throws Exception {
        writeStat(4413, 'S', 875263);
        assertEquals(Optional.empty(), decide(), "no state.json");
        writeState(stateJson(4413, 875263, v2Dir()).substring(0, 300));
        assertEquals(Optional.empty(), decide(), "partial state.json");
        writeState(stateJson(4413, 875263, "/sys/fs/cgroup/system.slice/berth-default-web.scope"));
        assertEquals(Optional.empty(), decide(), "runc's cgroup is not the recorded one");
        writeState(stateJson(4413, 875263, v2Dir()));
        assertEquals(Optional.of(TaskState.RUNNING), decide());
        Files.delete(cgroupRoot.resolve(CGROUP).resolve("cgroup.freeze"));
        assertEquals(Optional.empty(), decide(), "freezer unreadable");
    }

    @Test
    void aReusedPidOnTheRealProcIsStopped() throws Exception {
        long self = ProcessHandle.current().pid();
        String stat = Files.readString(Path.of("/proc/" + self + "/stat"));
        long start = RuncStateFiles.parseStat(stat).orElseThrow().startTicks();
        RuncStateFiles real = new RuncStateFiles(Cgroups.at(cgroupRoot), Path.of("/proc"));
        writeState(stateJson(self, start, v2Dir()));
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.RUNNING, self)), real.state(container, CGROUP));
        writeState(stateJson(self, start + 1, v2Dir()));
        assertEquals(Optional.of(new OciRuntimeCli.State(TaskState.STOPPED, 0)), real.state(container, CGROUP));
    }

    @Test
    void onlyRuncsFilesAreRead() {
        assertTrue(RuncStateFiles.understands("/usr/sbin/runc"));
        assertTrue(RuncStateFiles.understands("runc"));
        assertFalse(RuncStateFiles.understands("/usr/bin/crun"));
        assertFalse(RuncStateFiles.understands("/opt/runc-wrapper"));
        assertFalse(RuncStateFiles.sameCgroup("/sys/fs/cgroup/x/berth-t/default/web2", CGROUP));
        assertFalse(RuncStateFiles.sameCgroup(null, CGROUP));
        assertTrue(RuncStateFiles.sameCgroup("/sys/fs/cgroup/x/" + CGROUP, "/" + CGROUP));
    }
}
