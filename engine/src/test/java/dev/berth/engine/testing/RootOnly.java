package dev.berth.engine.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Marks a test class (or method) that needs root: real mounts, runc, cgroups, chown. It is tagged
 * {@code root} (so a run can select or exclude them: {@code -Dgroups=root}) and skipped, with
 * {@link #value()} as the reason, when the JVM does not run as root. Inherited, so a contract
 * suite's implementations need not repeat it.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Tag("root")
@ExtendWith(RootOnly.Condition.class)
public @interface RootOnly {
    /** Why root is needed, shown when the test is skipped. */
    String value() default "needs root";

    /** The check behind {@link RootOnly}. Stateless, thread-safe. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            Optional<RootOnly> a = context.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, RootOnly.class));
            if (a.isEmpty()) {
                // a method of a class that is not marked: the class-level evaluation decided
                a = context.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, RootOnly.class));
            }
            if (a.isEmpty() || isRoot()) {
                return ConditionEvaluationResult.enabled("running as root");
            }
            return ConditionEvaluationResult.disabled(a.get().value() + " (running as " + System.getProperty("user.name") + ")");
        }

        /** Whether this JVM runs as root. */
        public static boolean isRoot() {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
