package org.copyoffload.protocol.nvme.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;

/** The Discovery log page (NVMe-oF 1.1, Figures 31/32) and the Commands Supported and Effects log (Figure 211). */
class DiscoveryLogPageTest {
    static final DiscoveryLogEntry NVM = new DiscoveryLogEntry(3, 1, 2, 0x06, 0x0102, 0xFFFF, 32, 0x0003, "4420",
            "nqn.2025-01.org.copyoffload:disk", "192.168.10.20", 0);
    static final DiscoveryLogEntry DISCOVERY = new DiscoveryLogEntry(3, 2, 3, 0x02, 7, 0xFFFE, 128, 0, "8009",
            "nqn.2014-08.org.nvmexpress.discovery", "fe80::1", 1);

    /** By hand: TRTYPE 0, ADRFAM 1, SUBTYPE 2, TREQ 3, PORTID 4, CNTLID 6, ASQSZ 8, EFLAGS 10, TRSVCID 32, SUBNQN 256, TRADDR 512, TSAS 768. */
    static byte[] entryBytes(int trtype, int adrfam, int subtype, int treq, int portId, int cntlid, int asqsz,
                             int eflags, String trsvcid, String subnqn, String traddr, int sectype) {
        return new Le(1024).u8(0, trtype).u8(1, adrfam).u8(2, subtype).u8(3, treq).u16(4, portId).u16(6, cntlid)
                .u16(8, asqsz).u16(10, eflags)
                .padded(32, 32, trsvcid, ' ')
                .padded(256, 256, subnqn, '\0')
                .padded(512, 256, traddr, ' ')
                .u8(768, sectype)
                .array();
    }

    static byte[] pageBytes(long genctr, long numrec, byte[]... entries) {
        byte[] header = new Le(1024).u64(0, genctr).u64(8, numrec).u16(16, 0).array();
        return Le.concat(header, Le.concat(entries));
    }

    static final byte[] NVM_BYTES = entryBytes(3, 1, 2, 0x06, 0x0102, 0xFFFF, 32, 0x0003, "4420",
            "nqn.2025-01.org.copyoffload:disk", "192.168.10.20", 0);
    static final byte[] DISCOVERY_BYTES = entryBytes(3, 2, 3, 0x02, 7, 0xFFFE, 128, 0, "8009",
            "nqn.2014-08.org.nvmexpress.discovery", "fe80::1", 1);

    @Test
    void encodesTheSpecLayout() {
        DiscoveryLogPage page = new DiscoveryLogPage(0x0102030405060708L, List.of(NVM, DISCOVERY));
        ByteBuf b = page.encode();
        try {
            assertThat(ByteBufUtil.getBytes(b))
                    .isEqualTo(pageBytes(0x0102030405060708L, 2, NVM_BYTES, DISCOVERY_BYTES));
        } finally {
            b.release();
        }
    }

    @Test
    void decodesTheSpecLayout() {
        ByteBuf b = NvmeSamples.buf(Le.concat(new byte[4], pageBytes(-2L, 2, NVM_BYTES, DISCOVERY_BYTES)));
        try {
            b.skipBytes(4);
            DiscoveryLogPage page = DiscoveryLogPage.decode(b);
            assertThat(page.generationCounter()).isEqualTo(-2L);
            assertThat(page.entries()).containsExactly(NVM, DISCOVERY);
        } finally {
            b.release();
        }
    }

    @Test
    void anEmptyPageIsJustTheHeader() {
        ByteBuf b = new DiscoveryLogPage(5, List.of()).encode();
        try {
            assertThat(ByteBufUtil.getBytes(b)).isEqualTo(pageBytes(5, 0));
            assertThat(DiscoveryLogPage.decode(b)).isEqualTo(new DiscoveryLogPage(5, List.of()));
        } finally {
            b.release();
        }
    }

    @Test
    void aPartialReadDecodesTheWholeEntriesItHolds() {
        // NUMREC says 3 but the host read the header, one entry and half of the next
        byte[] all = pageBytes(9, 3, NVM_BYTES, DISCOVERY_BYTES, NVM_BYTES);
        ByteBuf b = NvmeSamples.buf(Arrays.copyOf(all, 1024 + 1024 + 512));
        try {
            DiscoveryLogPage page = DiscoveryLogPage.decode(b);
            assertThat(page.entries()).containsExactly(NVM);
        } finally {
            b.release();
        }
        ByteBuf header = NvmeSamples.buf(pageBytes(9, 0x7FFF_FFFF_FFFF_FFFFL));
        try {
            assertThat(DiscoveryLogPage.decode(header).entries()).as("a huge NUMREC with no entries").isEmpty();
        } finally {
            header.release();
        }
    }

    @Test
    void aPageWithoutGenctrAndNumrecIsRefused() {
        ByteBuf b = NvmeSamples.buf(new byte[15]);
        try {
            assertThatThrownBy(() -> DiscoveryLogPage.decode(b)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("discovery log page of 15 bytes lacks GENCTR and NUMREC (16 bytes)");
        } finally {
            b.release();
        }
        ByteBuf negative = NvmeSamples.buf(pageBytes(9, -1L, NVM_BYTES));
        try {
            assertThat(DiscoveryLogPage.decode(negative).entries()).as("NUMREC 2^64-1: the one entry there")
                    .containsExactly(NVM);
        } finally {
            negative.release();
        }
    }

    @Test
    void textFieldsArePaddedAndTrimmed() {
        ByteBuf b = NvmeSamples.buf(new byte[1024]);
        try {
            NVM.encode(b, 0);
            byte[] bytes = ByteBufUtil.getBytes(b);
            assertThat(new String(bytes, 32, 32)).isEqualTo("4420" + " ".repeat(28));
            assertThat(new String(bytes, 512, 256)).isEqualTo("192.168.10.20" + " ".repeat(243));
            assertThat(bytes[256 + NVM.subnqn().length()]).isZero();
            assertThat(DiscoveryLogEntry.decode(b, 0)).isEqualTo(NVM);
        } finally {
            b.release();
        }
        ByteBuf small = NvmeSamples.buf(new byte[1024]);
        try {
            assertThatThrownBy(() -> new DiscoveryLogEntry(3, 1, 2, 0, 0, 0, 0, 0, "x".repeat(33), "n", "a", 0)
                    .encode(small, 0))
                    .as("TRSVCID is 32 bytes").isInstanceOf(IllegalArgumentException.class);
        } finally {
            small.release();
        }
    }

    @Test
    void constants() {
        assertThat(DiscoveryLogEntry.TRTYPE_TCP).isEqualTo(3);
        assertThat(DiscoveryLogEntry.ADRFAM_IPV4).isEqualTo(1);
        assertThat(DiscoveryLogEntry.ADRFAM_IPV6).isEqualTo(2);
        assertThat(DiscoveryLogEntry.SUBTYPE_REFERRAL).isEqualTo(1);
        assertThat(DiscoveryLogEntry.SUBTYPE_NVM).isEqualTo(2);
        assertThat(DiscoveryLogEntry.SUBTYPE_CURRENT_DISCOVERY).isEqualTo(3);
        assertThat(DiscoveryLogEntry.TREQ_NOT_REQUIRED).isEqualTo(2);
        assertThat(DiscoveryLogEntry.TREQ_DISABLE_SQ_FLOW_CONTROL).isEqualTo(4);
        assertThat(DiscoveryLogEntry.SIZE).isEqualTo(1024);
        assertThat(DiscoveryLogPage.HEADER_SIZE).isEqualTo(1024);
    }

    @Test
    void commandEffectsLayout() {
        ByteBuf b = CommandEffects.encode(
                java.util.Map.of(0x06, CommandEffects.CSUPP, 0xFF, CommandEffects.CSUPP | CommandEffects.CCC),
                java.util.Map.of(0x01, CommandEffects.CSUPP | CommandEffects.LBCC | 1 << 16, 0x19,
                        CommandEffects.CSUPP | CommandEffects.LBCC | CommandEffects.NCC | CommandEffects.NIC));
        try {
            byte[] expected = new Le(4096).u32(0x06 * 4, 1).u32(0xFF * 4, 0x11)
                    .u32(1024 + 0x01 * 4, 0x10003).u32(1024 + 0x19 * 4, 0x0F).array();
            assertThat(ByteBufUtil.getBytes(b)).isEqualTo(expected);
        } finally {
            b.release();
        }
    }
}
