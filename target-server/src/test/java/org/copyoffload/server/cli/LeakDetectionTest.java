package org.copyoffload.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

@Isolated // changes a JVM-wide level
class LeakDetectionTest {
    @Test
    void offByDefaultButALevelGivenOnTheCommandLineWins() {
        ResourceLeakDetector.Level saved = ResourceLeakDetector.getLevel();
        String property = System.getProperty(LeakDetection.PROPERTY);
        try {
            System.setProperty(LeakDetection.PROPERTY, "paranoid");
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
            LeakDetection.offUnlessRequested();
            assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);

            System.clearProperty(LeakDetection.PROPERTY);
            LeakDetection.offUnlessRequested();
            assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
        } finally {
            if (property != null) {
                System.setProperty(LeakDetection.PROPERTY, property);
            }
            ResourceLeakDetector.setLevel(saved);
        }
    }
}
