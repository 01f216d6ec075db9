package org.copyoffload.initiator.cli;

import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * {@link Progress} as {@code me.tongfei:progressbar} bars on stderr, one per phase, so that stdout keeps only the
 * table. A bar redraws twice a second on its own thread: a measured phase pays a synchronized add per piece for it.
 */
final class ProgressBars implements Progress {
    @Override
    public Phase start(String task, long total, Unit unit) {
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setUnit(unit.name(), unit.size()).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500);
        if (unit.size() > 1) {
            builder.showSpeed().setSpeedUnit(ChronoUnit.SECONDS);
        }
        ProgressBar bar = builder.build();
        return new Phase() {
            @Override
            public void accept(long done) {
                bar.stepBy(done);
            }

            @Override
            public void close() {
                bar.close();
            }
        };
    }
}
