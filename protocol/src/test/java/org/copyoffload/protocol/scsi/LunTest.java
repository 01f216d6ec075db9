package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Single-level LUN fields (SAM-5 4.7): peripheral device addressing below 256, flat space addressing above. */
class LunTest {

    @ParameterizedTest(name = "LUN {0} = {1}")
    @CsvSource({
            "0,     0000000000000000",
            "1,     0001000000000000",
            "255,   00ff000000000000",
            "256,   4100000000000000",
            "257,   4101000000000000",
            "4095,  4fff000000000000",
            "16383, 7fff000000000000"})
    void encodeAndDecode(int lun, String field) {
        long expected = Long.parseUnsignedLong(field, 16);
        assertThat(Lun.encode(lun)).isEqualTo(expected);
        assertThat(Lun.decode(expected)).isEqualTo(lun);
    }

    @Test
    void flatSpaceBelow256DecodesToo() {
        assertThat(Lun.decode(0x4005_0000_0000_0000L)).isEqualTo(5);
        assertThat(Lun.decode(0x4000_0000_0000_0000L)).isZero();
    }

    @Test
    void everyLunRoundTrips() {
        for (int lun = 0; lun < Lun.LIMIT; lun++) {
            assertThat(Lun.decode(Lun.encode(lun))).isEqualTo(lun);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 16384, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void encodeRefusesWhatOneLevelCannotHold(int lun) {
        assertThatThrownBy(() -> Lun.encode(lun)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Integer.toString(lun));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "8000000000000000, address method 10b",
            "c000000000000000, address method 11b",
            "c101000000000000, address method 11b",
            "0101000000000000, bus 1",
            "3f00000000000000, bus 63",
            "0001000100000000, more than one level",
            "4001000000000001, more than one level"})
    void decodeRefusesOtherMethodsBusesAndLevels(String field, String why) {
        long value = Long.parseUnsignedLong(field, 16);
        assertThatThrownBy(() -> Lun.decode(value)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(field).hasMessageContaining(why.replace("address method ", ""));
    }
}
