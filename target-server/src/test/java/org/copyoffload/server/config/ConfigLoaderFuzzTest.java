package org.copyoffload.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer fuzz target for the YAML configuration loader: any text either gives a configuration or a
 * {@link ConfigException} that names the source; never another exception. Regression inputs:
 * {@code src/test/resources/org/copyoffload/server/config/ConfigLoaderFuzzTestInputs/parse/}.
 */
class ConfigLoaderFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        try {
            assertThat(ConfigLoader.parse(text, "fuzz.yaml")).isNotNull();
        } catch (ConfigException expected) {
            assertThat(expected.getMessage()).startsWith("fuzz.yaml: ");
        }
    }
}
