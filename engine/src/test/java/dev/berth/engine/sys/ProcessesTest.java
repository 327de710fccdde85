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
}
