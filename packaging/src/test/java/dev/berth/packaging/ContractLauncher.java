package dev.berth.packaging;

import java.io.PrintWriter;
import java.util.Arrays;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs test classes by name with the JUnit platform and exits 0 only when every test ran and passed
 * (none failed, none skipped or aborted, at least one found). PackageOnSystemdIT starts it inside its
 * booted machine, with the installed berth's jars on the class path, to run the TaskRuntime contract
 * with the systemd driver where systemd is PID 1. Prints the summary and every failure.
 */
public final class ContractLauncher {
    private ContractLauncher() {
    }

    public static void main(String[] args) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(Arrays.stream(args).map(DiscoverySelectors::selectClass).toList()).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printTo(out);
        s.printFailuresTo(out, 30);
        boolean allPassed = s.getTestsFoundCount() > 0 && s.getTestsSucceededCount() == s.getTestsFoundCount()
                && s.getTotalFailureCount() == 0 && s.getContainersAbortedCount() == 0 && s.getContainersSkippedCount() == 0;
        out.println(allPassed ? "CONTRACT PASSED " + s.getTestsSucceededCount() + " tests" : "CONTRACT NOT PASSED");
        System.exit(allPassed ? 0 : 1);
    }
}
