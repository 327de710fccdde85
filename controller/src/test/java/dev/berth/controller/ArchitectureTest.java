package dev.berth.controller;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import dev.berth.crd.Berth;
import dev.berth.engine.Engine;
import dev.berth.reconcilers.Result;
import java.util.List;
import java.util.stream.Stream;
import io.fabric8.kubernetes.client.CustomResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of DESIGN.md, checked on the production classes of every module:
 * engine knows nothing of specs, Kubernetes or the controller; crd knows no other Berth module;
 * reconcilers never reach the controller or the Kubernetes client; no package cycles.
 */
class ArchitectureTest {
    private static JavaClasses berth;

    @BeforeAll
    static void load() {
        // import each module's production classes from where they were loaded (a directory or a
        // jar), rather than scanning the whole classpath for the package
        List<Location> modules = Stream.of(Engine.class, Berth.class, Result.class, BuildInfo.class)
                .map(c -> Location.of(c.getProtectionDomain().getCodeSource().getLocation()))
                .toList();
        berth = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importLocations(modules);
        assertTrue(berth.containPackage("dev.berth.engine") && berth.containPackage("dev.berth.crd")
                && berth.containPackage("dev.berth.reconcilers") && berth.containPackage("dev.berth.controller.queue"),
                "all modules imported");
    }

    @Test
    void engineDependsOnNoSpecControllerOrKubernetesCode() {
        noClasses().that().resideInAPackage("dev.berth.engine..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.berth.crd..", "dev.berth.reconcilers..", "dev.berth.controller..", "io.fabric8..")
                .because("the engine is the containerd-like core and must be usable without specs or Kubernetes")
                .check(berth);
    }

    @Test
    void crdDependsOnNoOtherBerthModule() {
        noClasses().that().resideInAPackage("dev.berth.crd..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.berth.engine..", "dev.berth.reconcilers..", "dev.berth.controller..")
                .because("the API types are shared with Kubernetes tooling and know nothing of the node")
                .check(berth);
    }

    @Test
    void reconcilersDoNotDependOnTheControllerOrTheKubernetesClient() {
        noClasses().that().resideInAPackage("dev.berth.reconcilers..")
                .should().dependOnClassesThat(resideInAPackage("dev.berth.controller.."))
                .because("reconcilers are driven by the controller, not the other way round")
                .check(berth);
        noClasses().that().resideInAPackage("dev.berth.reconcilers..")
                .should().dependOnClassesThat(resideInAnyPackage("io.fabric8.kubernetes.client..")
                        .and(not(equivalentTo(CustomResource.class))))
                .because("reconcilers never talk to the API server; status and events go through the controller")
                .check(berth);
    }

    @Test
    void controllerAndReconcilersUseTheEnginesFaceNotItsImplementations() {
        noClasses().that().resideInAnyPackage("dev.berth.controller..", "dev.berth.reconcilers..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.berth.engine.content.local..",
                        "dev.berth.engine.snapshots.overlay..", "dev.berth.engine.snapshots.nativefs..",
                        "dev.berth.engine.remotes.docker..", "dev.berth.engine.runtime.conmon..")
                .because("the engine's interfaces (Engine, ContentStore, Snapshotter, Resolvers, …) are its only door;"
                        + " implementations change behind them")
                .check(berth);
    }

    @Test
    void reconcilersKeepTheirStateThroughTheEngineNotSql() {
        noClasses().that().resideInAPackage("dev.berth.reconcilers..")
                .should().dependOnClassesThat().resideInAPackage("java.sql..")
                .because("a reconciler's state lives in the engine's records (container extensions), which own the tables")
                .check(berth);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.berth.(**)").should().beFreeOfCycles().check(berth);
    }
}
