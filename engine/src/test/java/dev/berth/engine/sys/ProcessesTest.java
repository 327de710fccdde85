package dev.berth.engine.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProcessesTest {
    private static final long SELF = ProcessHandle.current().pid();

    private static String stat() throws Exception {
        return Files.readString(Path.of("/proc", Long.toString(SELF), "stat"));
    }

    @Test
    void startTicksIsField22OfTheProcessWithThatName() throws Exception {
        String stat = stat();
        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals(Long.parseLong(after[19]), Processes.startTicks(SELF, comm));
        assertTrue(Processes.alive(SELF, comm));
    }

    @Test
    void anotherNameAPrefixOfTheNameOrNoProcessIsMinusOne() throws Exception {
        String stat = stat();
        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        assertEquals(-1, Processes.startTicks(SELF, comm + "x"));
        assertEquals(-1, Processes.startTicks(SELF, comm.substring(0, comm.length() - 1)));
        assertEquals(-1, Processes.startTicks(0, comm));
        assertEquals(-1, Processes.startTicks(Integer.MAX_VALUE, comm));
        assertFalse(Processes.alive(SELF, "conmon"));
    }

    @Test
    void aProcessThatIsExitingOrAZombieIsNotLive() {
        // field 9 is the kernel's flags: 0x400100 a sleeping process's usual ones, 0x404 once it exits
        String running = "4242 (pause) S 4240 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 875263 1 2 3";
        String exiting = running.replace(" 4194560 ", " 4194564 ");
        assertTrue(Processes.parseStat(running).orElseThrow().live());
        assertEquals(875263, Processes.parseStat(running).orElseThrow().startTicks());
        assertFalse(Processes.parseStat(exiting).orElseThrow().live());
        assertFalse(Processes.parseStat(running.replace(") S ", ") Z ")).orElseThrow().live());
        assertTrue(Processes.alive(SELF));
    }
}
