package dev.berth.controller;

import dev.berth.engine.errdefs.BerthException;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's periodic work (resync for drift repair, garbage collection) on a Quartz scheduler
 * with an in-memory job store. A run that is still going when the next is due is skipped, not
 * doubled. Thread-safe; {@link #close} waits for running jobs.
 */
public final class Schedules implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Schedules.class);
    private static final String TASK = "task";

    private final Scheduler scheduler;

    public Schedules() {
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", "berth-" + UUID.randomUUID());
        p.setProperty("org.quartz.threadPool.threadCount", "2");
        p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        try {
            scheduler = new StdSchedulerFactory(p).getScheduler();
            scheduler.start();
        } catch (SchedulerException e) {
            throw BerthException.internal("cannot start the scheduler: " + e.getMessage(), e);
        }
    }

    /** Runs {@code task} every {@code period}, first after {@code initialDelay}. */
    public void every(String name, Duration period, Duration initialDelay, Runnable task) {
        JobDataMap data = new JobDataMap();
        data.put(TASK, task);
        try {
            scheduler.scheduleJob(JobBuilder.newJob(RunnableJob.class).withIdentity(name).usingJobData(data).build(),
                    trigger(name, period, initialDelay));
        } catch (SchedulerException e) {
            throw BerthException.internal("cannot schedule " + name + ": " + e.getMessage(), e);
        }
    }

    /** Changes the period of job {@code name} (its next run is one new period from now). */
    public void reschedule(String name, Duration period) {
        try {
            scheduler.rescheduleJob(org.quartz.TriggerKey.triggerKey(name), trigger(name, period, period));
        } catch (SchedulerException e) {
            throw BerthException.internal("cannot reschedule " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * A task that runs when it is due rather than on a period: {@code untilDue} says how long from now
     * (empty: not until {@link Timer#rearm()}), read when the timer is made, after each run, and on
     * each {@link Timer#rearm()}. One Quartz job with at most one one-shot trigger ahead; an idle
     * daemon's scheduler threads sleep until the next due time instead of waking to ask.
     */
    public Timer timer(String name, java.util.function.Supplier<java.util.Optional<Duration>> untilDue, Runnable task) {
        Timer t = new Timer(name, untilDue);
        JobDataMap data = new JobDataMap();
        data.put(TASK, (Runnable) () -> {
            try {
                task.run();
            } finally {
                t.rearm();
            }
        });
        try {
            scheduler.addJob(JobBuilder.newJob(RunnableJob.class).withIdentity(name).usingJobData(data).storeDurably()
                    .build(), false);
        } catch (SchedulerException e) {
            throw BerthException.internal("cannot schedule " + name + ": " + e.getMessage(), e);
        }
        t.rearm();
        return t;
    }

    /** The handle of a {@link #timer}: thread-safe. */
    public final class Timer {
        private final String name;
        private final java.util.function.Supplier<java.util.Optional<Duration>> untilDue;
        private long seq;
        private org.quartz.TriggerKey pending;
        private long pendingAt;

        private Timer(String name, java.util.function.Supplier<java.util.Optional<Duration>> untilDue) {
            this.name = name;
            this.untilDue = untilDue;
        }

        /** Reads the due time again and fires then, if that is earlier than the time already armed. */
        public synchronized void rearm() {
            java.util.Optional<Duration> due = untilDue.get();
            if (due.isEmpty()) {
                return;
            }
            long now = System.currentTimeMillis();
            // rounded up: a trigger a fraction of a millisecond early would find nothing due and re-arm
            long at = now + Math.max(0, (due.get().toNanos() + 999_999) / 1_000_000);
            // a trigger whose time has come has fired or is firing (its run re-arms when it ends):
            // only one still ahead can stand for this due time
            boolean ahead = pending != null && pendingAt > now;
            if (ahead && pendingAt <= at) {
                return;
            }
            try {
                if (ahead) {
                    scheduler.unscheduleJob(pending);
                }
                pending = org.quartz.TriggerKey.triggerKey(name + "-" + seq++);
                pendingAt = at;
                scheduler.scheduleJob(TriggerBuilder.newTrigger().withIdentity(pending).forJob(name)
                        .startAt(new java.util.Date(at)).build());
            } catch (SchedulerException e) {
                if (!shutDown()) {
                    LOG.error("cannot arm {}: {}", name, e.toString());
                }
            }
        }
    }

    private boolean shutDown() {
        try {
            return scheduler.isShutdown();
        } catch (SchedulerException e) {
            return true;
        }
    }

    private static org.quartz.Trigger trigger(String name, Duration period, Duration initialDelay) {
        return TriggerBuilder.newTrigger().withIdentity(name)
                .startAt(new java.util.Date(System.currentTimeMillis() + initialDelay.toMillis()))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(Math.max(1, period.toMillis())).repeatForever()
                        .withMisfireHandlingInstructionNextWithRemainingCount())
                .build();
    }

    /** Runs the task a job carries; never two at once for the same job. */
    @DisallowConcurrentExecution
    public static final class RunnableJob implements Job {
        @Override
        public void execute(JobExecutionContext context) {
            Runnable r = (Runnable) context.getMergedJobDataMap().get(TASK);
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.error("scheduled job {} failed: {}", context.getJobDetail().getKey().getName(), e.toString());
            }
        }
    }

    @Override
    public void close() {
        try {
            scheduler.shutdown(true);
        } catch (SchedulerException e) {
            LOG.warn("stopping the scheduler: {}", e.toString());
        }
    }
}
