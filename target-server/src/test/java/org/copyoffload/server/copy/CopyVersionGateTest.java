package org.copyoffload.server.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.copy.CopyFixture.CDFE_FORMAT_2;
import static org.copyoffload.server.copy.CopyFixture.CDFE_FORMAT_3;
import static org.copyoffload.server.copy.CopyFixture.COPY_OPCODE;
import static org.copyoffload.server.copy.CopyFixture.F1;
import static org.copyoffload.server.copy.CopyFixture.F2;
import static org.copyoffload.server.copy.CopyFixture.F3;
import static org.copyoffload.server.copy.CopyFixture.cdfe;
import static org.copyoffload.server.copy.CopyFixture.copyOk;
import static org.copyoffload.server.copy.CopyFixture.copySqe;
import static org.copyoffload.server.copy.CopyFixture.expectRejected;
import static org.copyoffload.server.copy.CopyFixture.hostBehavior;
import static org.copyoffload.server.copy.CopyFixture.r0;
import static org.copyoffload.server.copy.CopyFixture.r2;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.log.CommandEffects;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.copy.CopyFixture.Region;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What each advertised NVMe version offers of Copy, and how Host Behavior Support CDFE gates formats 2h/3h:
 * 1.4 knows no Copy at all; 2.0 offers formats 0h/1h (OCFS 3h) and refuses to enable 2h/3h; 2.1 offers all
 * four (OCFS Fh) but 2h/3h only once the host sets CDFE, or at once where the subsystem says
 * {@code cross-namespace-copy-at-connect}; a controller reset goes back to the connect-time CDFE.
 */
@ExtendWith(LeakDetectionExtension.class)
class CopyVersionGateTest {
    static final String V14 = "v14";
    static final String V20 = "v20";
    static final String V21 = "v21";
    static final String V21X = "v21x";
    static final int LBA = 4096;

    @TempDir
    static Path dir;
    static CopyFixture.Config config;
    static CopyFixture.Allocator lbas;
    static TestServer server;

    @BeforeAll
    static void start() {
        config = new CopyFixture.Config(dir);
        for (String[] s : new String[][] {{V14, "1.4", "false"}, {V20, "2.0", "false"}, {V21, "2.1", "false"},
                {V21X, "2.1", "true"}}) {
            config.subsystem(s[0], s[1], Boolean.parseBoolean(s[2]))
                    .namespace(1, 8 << 20, LBA, "mssrl: 16, mcl: 64, msrc: 7")
                    .namespace(2, 8 << 20, LBA);
        }
        lbas = new CopyFixture.Allocator(config);
        server = config.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static NvmeTcpHost connect(String tag) {
        return CopyFixture.connect(server, tag, 1);
    }

    static Region region(NvmeTcpHost h, String tag, int nsid, int blocks, long seed) {
        return Region.filled(h, nsid, LBA, lbas.allocate(tag, nsid, blocks), blocks, seed);
    }

    // ---- 1.4 ----

    @Test
    void nvme14AdvertisesNoCopyAndRefusesTheOpcode() {
        try (NvmeTcpHost h = connect(V14)) {
            assertThat(h.version()).as("VS").isEqualTo(ControllerRegisters.version(1, 4, 0));
            IdentifyController id = h.identifyController();
            assertThat(id.oncs() & IdentifyController.ONCS_COPY).as("ONCS bit 8 (Copy)").isZero();
            assertThat(id.ocfs()).as("OCFS").isZero();
            for (int nsid : new int[] {1, 2}) {
                IdentifyNamespace ns = h.identifyNamespace(nsid);
                assertThat(ns.mssrl()).as("MSSRL of NSID %d", nsid).isZero();
                assertThat(ns.mcl()).as("MCL of NSID %d", nsid).isZero();
                assertThat(ns.msrc()).as("MSRC of NSID %d", nsid).isZero();
            }
            assertThat(CopyFixture.ioCommandEffects(h, COPY_OPCODE)).as("Copy in Commands Supported and Effects").isZero();
            assertThat(CopyFixture.ioCommandEffects(h, NvmOpcode.WRITE.code()) & CommandEffects.CSUPP).as("Write").isNotZero();

            Region src = region(h, V14, 1, 4, 1);
            Region dst = region(h, V14, 1, 4, 2);
            Region other = region(h, V14, 2, 4, 3);
            // Whatever the fields say, the opcode itself is unknown.
            expectRejected(h, copySqe(1, dst.base, 0, 1, false), CopySourceRange.encodeList(List.of(r0(src.base, 4))),
                    StatusCode.INVALID_COMMAND_OPCODE);
            expectRejected(h, copySqe(1, dst.base, 2, 1, false),
                    CopySourceRange.encodeList(List.of(r2(2, other.base, 4))), StatusCode.INVALID_COMMAND_OPCODE);
            expectRejected(h, copySqe(1, dst.base, 0x7, 1, false), CopySourceRange.encodeList(List.of(r0(src.base, 4))),
                    StatusCode.INVALID_COMMAND_OPCODE);
            expectRejected(h, copySqe(1, dst.base, 0, 1, false), null, StatusCode.INVALID_COMMAND_OPCODE);
            expectRejected(h, copySqe(9, dst.base, 0, 1, false), CopySourceRange.encodeList(List.of(r0(src.base, 4))),
                    StatusCode.INVALID_COMMAND_OPCODE);
            dst.assertOnDevice(h, "destination after the refused Copy");
            src.assertOnDevice(h, "source after the refused Copy");
            other.assertOnDevice(h, "other namespace after the refused Copy");

            // No format can be enabled: OCFS is 0.
            assertThat(CopyFixture.setCdfe(h, CDFE_FORMAT_2)).isEqualTo(StatusCode.INVALID_FIELD_IN_COMMAND.dnr());
            assertThat(CopyFixture.setCdfe(h, CDFE_FORMAT_3)).isEqualTo(StatusCode.INVALID_FIELD_IN_COMMAND.dnr());
            assertThat(cdfe(hostBehavior(h, 0))).isZero();
            assertThat(cdfe(hostBehavior(h, 1))).isZero();
        }
    }

    // ---- 2.0 ----

    @Test
    void nvme20AdvertisesFormats0hAnd1hAndNeverEnables2hOr3h() {
        try (NvmeTcpHost h = connect(V20)) {
            assertThat(h.version()).as("VS").isEqualTo(ControllerRegisters.version(2, 0, 0));
            IdentifyController id = h.identifyController();
            assertThat(id.oncs() & IdentifyController.ONCS_COPY).as("ONCS bit 8 (Copy)").isEqualTo(IdentifyController.ONCS_COPY);
            assertThat(id.ocfs()).as("OCFS").isEqualTo(0x3);
            assertLimits(h);
            assertThat(CopyFixture.ioCommandEffects(h, COPY_OPCODE)).as("Copy effects: CSUPP and LBCC")
                    .isEqualTo(CommandEffects.CSUPP | CommandEffects.LBCC);

            Region src = region(h, V20, 1, 4, 11);
            Region dst = region(h, V20, 1, 4, 12);
            Region other = region(h, V20, 2, 4, 13);
            // 1h is advertised but our namespaces have no protection information: Invalid Format.
            expectRejected(h, 1, dst.base, List.of(CopySourceRange.of(F1, src.base, 4)), StatusCode.INVALID_FORMAT);
            for (int attempt = 0; attempt < 2; attempt++) {
                expectRejected(h, 1, dst.base, List.of(r2(2, other.base, 4)), StatusCode.INVALID_FIELD_IN_COMMAND);
                expectRejected(h, 1, dst.base, List.of(r2(1, src.base, 4)), StatusCode.INVALID_FIELD_IN_COMMAND);
                expectRejected(h, 1, dst.base, List.of(CopySourceRange.of(F3, 2, other.base, 4)),
                        StatusCode.INVALID_FIELD_IN_COMMAND);
                // Enabling 2h/3h is itself refused: they are not in OCFS.
                for (int bits : new int[] {CDFE_FORMAT_2, CDFE_FORMAT_3, CDFE_FORMAT_2 | CDFE_FORMAT_3}) {
                    assertThat(CopyFixture.setCdfe(h, bits)).as("CDFE 0x%x", bits)
                            .isEqualTo(StatusCode.INVALID_FIELD_IN_COMMAND.dnr());
                }
                assertThat(cdfe(hostBehavior(h, 0))).isZero();
            }
            dst.assertOnDevice(h, "destination after the refused Copies");
            other.assertOnDevice(h, "NSID 2 after the refused Copies");

            copyOk(h, 1, dst.base, List.of(r0(src.base + 2, 2), r0(src.base, 2)));
            System.arraycopy(src.bytes, 2 * LBA, dst.bytes, 0, 2 * LBA);
            System.arraycopy(src.bytes, 0, dst.bytes, 2 * LBA, 2 * LBA);
            dst.assertOnDevice(h, "format 0h on NVMe 2.0");
        }
    }

    // ---- 2.1 ----

    @Test
    void nvme21AcceptsFormats2hAnd3hOnlyOnceTheHostEnablesThem() {
        try (NvmeTcpHost h = connect(V21); NvmeTcpHost bystander = connect(V21)) {
            assertThat(h.version()).as("VS").isEqualTo(ControllerRegisters.version(2, 1, 0));
            IdentifyController id = h.identifyController();
            assertThat(id.oncs() & IdentifyController.ONCS_COPY).isEqualTo(IdentifyController.ONCS_COPY);
            assertThat(id.ocfs()).as("OCFS").isEqualTo(0xF);
            assertLimits(h);
            assertThat(CopyFixture.ioCommandEffects(h, COPY_OPCODE)).isEqualTo(CommandEffects.CSUPP | CommandEffects.LBCC);
            assertThat(cdfe(hostBehavior(h, 0))).as("CDFE at connect").isZero();
            assertThat(cdfe(hostBehavior(h, 1))).as("CDFE default").isZero();

            Region src = region(h, V21, 1, 8, 21);
            Region dst = region(h, V21, 2, 8, 22);
            expectRejected(h, 2, dst.base, List.of(r2(1, src.base, 8)), StatusCode.INVALID_FIELD_IN_COMMAND);
            expectRejected(h, 2, dst.base, List.of(CopySourceRange.of(F3, 1, src.base, 8)), StatusCode.INVALID_FIELD_IN_COMMAND);
            dst.assertOnDevice(h, "destination before CDFE");

            // Format 2h only.
            CopyFixture.enableCdfe(h, CDFE_FORMAT_2);
            assertThat(cdfe(hostBehavior(h, 0))).isEqualTo(CDFE_FORMAT_2);
            assertThat(cdfe(hostBehavior(h, 1))).as("the default stays").isZero();
            expectRejected(h, 2, dst.base, List.of(CopySourceRange.of(F3, 1, src.base, 8)), StatusCode.INVALID_FIELD_IN_COMMAND);
            copyOk(h, 2, dst.base, List.of(r2(1, src.base + 4, 4), r2(1, src.base, 4)));
            System.arraycopy(src.bytes, 4 * LBA, dst.bytes, 0, 4 * LBA);
            System.arraycopy(src.bytes, 0, dst.bytes, 4 * LBA, 4 * LBA);
            dst.assertOnDevice(h, "format 2h from NSID 1 to NSID 2");

            // CDFE is per controller: the other host's controller still refuses 2h.
            expectRejected(bystander, 2, dst.base, List.of(r2(1, src.base, 8)), StatusCode.INVALID_FIELD_IN_COMMAND);
            assertThat(cdfe(hostBehavior(bystander, 0))).isZero();

            // Both: 3h passes the enable check and meets the namespace's lack of protection information.
            CopyFixture.enableCdfe(h, CDFE_FORMAT_2 | CDFE_FORMAT_3);
            expectRejected(h, 2, dst.base, List.of(CopySourceRange.of(F3, 1, src.base, 8)), StatusCode.INVALID_FORMAT);

            // Bits other than 2 and 3 cannot be set; a refused value leaves CDFE as it was.
            for (int bad : new int[] {0x1, 0x2, 0x3, 0x10, 0x8000, 0xFFFF, CDFE_FORMAT_2 | 0x1}) {
                assertThat(CopyFixture.setCdfe(h, bad)).as("CDFE 0x%x", bad).isEqualTo(StatusCode.INVALID_FIELD_IN_COMMAND.dnr());
                assertThat(cdfe(hostBehavior(h, 0))).isEqualTo(CDFE_FORMAT_2 | CDFE_FORMAT_3);
            }

            // Cleared again: 2h is refused again.
            CopyFixture.enableCdfe(h, 0);
            expectRejected(h, 2, dst.base, List.of(r2(1, src.base, 8)), StatusCode.INVALID_FIELD_IN_COMMAND);
            dst.assertOnDevice(h, "destination after CDFE was cleared");
        }
    }

    @Test
    void crossNamespaceCopyAtConnectEnablesFormats2hAnd3hAtOnce() {
        try (NvmeTcpHost h = connect(V21X); NvmeTcpHost second = connect(V21X)) {
            for (int sel = 0; sel <= 2; sel++) {
                assertThat(cdfe(hostBehavior(h, sel))).as("CDFE, SEL %d", sel).isEqualTo(0xC);
            }
            assertThat(cdfe(hostBehavior(second, 0))).as("every controller starts so").isEqualTo(0xC);
            assertThat(h.identifyController().ocfs()).isEqualTo(0xF);

            Region src = region(h, V21X, 2, 6, 31);
            Region dst = region(h, V21X, 1, 6, 32);
            copyOk(h, 1, dst.base, List.of(r2(2, src.base + 3, 3), r2(2, src.base, 3)));
            System.arraycopy(src.bytes, 3 * LBA, dst.bytes, 0, 3 * LBA);
            System.arraycopy(src.bytes, 0, dst.bytes, 3 * LBA, 3 * LBA);
            dst.assertOnDevice(h, "format 2h with CDFE set at connect");
            expectRejected(h, 1, dst.base, List.of(CopySourceRange.of(F3, 2, src.base, 6)), StatusCode.INVALID_FORMAT);

            // The host may still turn it off, for itself only.
            CopyFixture.enableCdfe(h, 0);
            assertThat(cdfe(hostBehavior(h, 0))).isZero();
            assertThat(cdfe(hostBehavior(h, 1))).as("default").isEqualTo(0xC);
            expectRejected(h, 1, dst.base, List.of(r2(2, src.base, 6)), StatusCode.INVALID_FIELD_IN_COMMAND);
            copyOk(second, 1, dst.base, List.of(r2(2, src.base, 6)));
            System.arraycopy(src.bytes, 0, dst.bytes, 0, 6 * LBA);
            dst.assertOnDevice(h, "format 2h through the second controller");
        }
    }

    static Stream<Arguments> resets() {
        return Stream.of(
                Arguments.of(V21X, 0xC, 0),   // at connect 0xC; the host clears it; the reset brings 0xC back
                Arguments.of(V21, 0, 0xC));   // at connect 0; the host sets it; the reset clears it
    }

    @ParameterizedTest(name = "{0}: connect-time CDFE 0x{1}, host sets 0x{2}")
    @MethodSource("resets")
    void aControllerResetRestoresTheConnectTimeCdfe(String tag, int atConnect, int hostValue) {
        long src = lbas.allocate(tag, 2, 4);
        long dst = lbas.allocate(tag, 1, 4);
        List<CopySourceRange> crossNamespace = List.of(r2(2, src, 4));
        try (CopyFixture.RawController c = new CopyFixture.RawController(server, tag)) {
            assertThat(cdfe(c.hostBehavior(0))).isEqualTo(atConnect);
            assertCrossNamespaceCopy(c, dst, crossNamespace, atConnect != 0);
            assertThat(c.setCdfe(hostValue)).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(cdfe(c.hostBehavior(0))).isEqualTo(hostValue);
            assertCrossNamespaceCopy(c, dst, crossNamespace, hostValue != 0);

            c.reset();
            assertThat(cdfe(c.hostBehavior(0))).as("CDFE after CC.EN 1 -> 0 -> 1").isEqualTo(atConnect);
            assertThat(cdfe(c.hostBehavior(1))).isEqualTo(atConnect);
            assertCrossNamespaceCopy(c, dst, crossNamespace, atConnect != 0);
            // Twice, in case the reset only worked from the host's value.
            c.reset();
            assertThat(cdfe(c.hostBehavior(0))).isEqualTo(atConnect);
            assertCrossNamespaceCopy(c, dst, crossNamespace, atConnect != 0);
        }
    }

    static void assertCrossNamespaceCopy(CopyFixture.RawController c, long dst, List<CopySourceRange> ranges, boolean works) {
        var cqe = c.copy(1, dst, ranges);
        if (works) {
            assertThat(cqe.status()).as("format 2h").isEqualTo(NvmeStatus.SUCCESS);
        } else {
            CopyFixture.assertRejected(cqe, StatusCode.INVALID_FIELD_IN_COMMAND);
        }
        // Format 0h needs no enabling, whatever CDFE says.
        assertThat(c.copy(1, dst, List.of(r0(dst, 1))).status()).as("format 0h").isEqualTo(NvmeStatus.SUCCESS);
    }

    // ---- reserved descriptor formats, on every version that has Copy ----

    static Stream<Arguments> reservedFormats() {
        return Stream.of(V20, V21, V21X).flatMap(tag -> IntStream.rangeClosed(4, 15).mapToObj(f -> Arguments.of(tag, f)));
    }

    @ParameterizedTest(name = "{0}: DESFMT {1}")
    @MethodSource("reservedFormats")
    void reservedDescriptorFormatsAreInvalidField(String tag, int desfmt) {
        try (NvmeTcpHost h = connect(tag)) {
            if (!tag.equals(V20)) {
                CopyFixture.enableCdfe(h, 0xC);
            }
            Region dst = region(h, tag, 1, 2, 40 + desfmt);
            Region src = region(h, tag, 1, 2, 60 + desfmt);
            // With a plausible 32-byte and 40-byte entry, and with none.
            expectRejected(h, copySqe(1, dst.base, desfmt, 1, false),
                    CopySourceRange.encodeList(List.of(r0(src.base, 2))), StatusCode.INVALID_FIELD_IN_COMMAND);
            expectRejected(h, copySqe(1, dst.base, desfmt, 1, false),
                    CopySourceRange.encodeList(List.of(CopySourceRange.of(F1, src.base, 2))), StatusCode.INVALID_FIELD_IN_COMMAND);
            expectRejected(h, copySqe(1, dst.base, desfmt, 1, false), null, StatusCode.INVALID_FIELD_IN_COMMAND);
            dst.assertOnDevice(h, "destination after DESFMT " + desfmt);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"v20", "v21", "v21x"})
    void identifyNamespaceReportsTheConfiguredLimits(String tag) {
        try (NvmeTcpHost h = connect(tag)) {
            assertLimits(h);
        }
    }

    /** NSID 1 has MSSRL 16, MCL 64, MSRC 7; NSID 2 the defaults. */
    static void assertLimits(NvmeTcpHost h) {
        IdentifyNamespace one = h.identifyNamespace(1);
        assertThat(one.mssrl()).as("MSSRL").isEqualTo(16);
        assertThat(one.mcl()).as("MCL").isEqualTo(64);
        assertThat(one.msrc()).as("MSRC").isEqualTo(7);
        IdentifyNamespace two = h.identifyNamespace(2);
        assertThat(two.mssrl()).as("MSSRL default").isEqualTo(65535);
        assertThat(two.mcl()).as("MCL default").isEqualTo(1L << 24);
        assertThat(two.msrc()).as("MSRC default").isEqualTo(255);
    }
}
