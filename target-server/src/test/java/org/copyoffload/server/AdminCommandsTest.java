package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.Nvme.assertStatus;
import static org.copyoffload.server.Nvme.assertSuccess;
import static org.copyoffload.server.TestServer.NQN;
import static org.copyoffload.server.TestServer.NS_4K;
import static org.copyoffload.server.TestServer.NS_512;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.log.CommandEffects;
import org.copyoffload.protocol.nvme.log.GetLogPageCommand;
import org.copyoffload.protocol.nvme.log.LogPageId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Admin commands of an NVM controller (NVMe Base 2.1, 5): Identify, Get Log Page, Set/Get Features,
 * Asynchronous Event Request, Abort, Keep Alive and unknown opcodes.
 */
@ExtendWith(LeakDetectionExtension.class)
class AdminCommandsTest {
    static final int NSID_ALL = 0xFFFFFFFF;
    static final int FID_ARBITRATION = 0x01;
    static final int FID_POWER_MANAGEMENT = 0x02;
    static final int FID_TEMPERATURE_THRESHOLD = 0x04;
    static final int FID_ERROR_RECOVERY = 0x05;
    static final int FID_VOLATILE_WRITE_CACHE = 0x06;
    static final int FID_WRITE_ATOMICITY = 0x0A;
    static final int FID_ASYNC_EVENT_CONFIGURATION = 0x0B;
    static final int FID_HOST_BEHAVIOR = 0x16;
    static final int FID_IO_COMMAND_SET_PROFILE = 0x19;

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.defaults();
    static TestServer server;
    static NvmeTcpHost host;

    @BeforeAll
    static void start() {
        server = target.server();
        host = target.closeAfterClass(server.connect(1));
    }

    static Completion identify(NvmeTcpHost h, int cns, int nsid, int csi) {
        return Nvme.admin(h, Nvme.identify(cns, nsid, csi), null, Cns.STRUCTURE_SIZE);
    }

    static byte[] identifyData(int cns, int nsid, int csi) {
        try (Completion c = identify(host, cns, nsid, csi)) {
            assertSuccess(c);
            assertThat(c.data().readableBytes()).isEqualTo(Cns.STRUCTURE_SIZE);
            return TestServer.bytesOf(c.data().retain());
        }
    }

    static void expectIdentify(int cns, int nsid, int csi, StatusCode code) {
        try (Completion c = identify(host, cns, nsid, csi)) {
            assertStatus(c, code, true);
        }
    }

    static int[] nsidList(byte[] data) {
        List<Integer> ids = new ArrayList<>();
        ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(data);
        for (int i = 0; i < data.length; i += 4) {
            int id = b.getIntLE(i);
            if (id == 0) {
                break;
            }
            ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---- Identify ----

    @Test
    void identifyControllerDescribesThisTarget() {
        IdentifyController id = host.identifyController();
        assertThat(id.serialNumber()).isNotBlank().hasSizeLessThanOrEqualTo(20);
        assertThat(id.modelNumber()).isEqualTo("copyoffload");
        assertThat(id.firmwareRevision()).isEqualTo("0.1.0");
        assertThat(id.mdts()).isEqualTo(8);
        assertThat(id.maxTransferBytes()).isEqualTo(TestServer.MAX_TRANSFER);
        assertThat(id.cntlid()).isEqualTo(host.controllerId());
        assertThat(id.version()).isEqualTo(0x00020100);
        assertThat(id.cntrltype()).isEqualTo(IdentifyController.CNTRLTYPE_IO);
        assertThat(id.ctratt() & IdentifyController.CTRATT_HOST_ID_128).isEqualTo(1);
        assertThat(id.aerl()).isEqualTo(3);
        assertThat(id.elpe()).isEqualTo(63);
        assertThat(id.lpa()).isEqualTo(IdentifyController.LPA_COMMANDS_SUPPORTED_AND_EFFECTS | IdentifyController.LPA_EXTENDED_DATA);
        assertThat(id.kas()).isEqualTo(1);
        assertThat(id.sqes()).isEqualTo(0x66);
        assertThat(id.cqes()).isEqualTo(0x44);
        assertThat(id.maxcmd()).isEqualTo(TestServer.MAX_QUEUE_ENTRIES);
        assertThat(id.nn()).isEqualTo(TestServer.NN);
        int oncs = IdentifyController.ONCS_COMPARE | IdentifyController.ONCS_DATASET_MANAGEMENT
                | IdentifyController.ONCS_WRITE_ZEROES | IdentifyController.ONCS_VERIFY;
        assertThat(id.oncs() & oncs).as("ONCS").isEqualTo(oncs);
        assertThat(id.oncs() & IdentifyController.ONCS_SAVE_FIELD).as("nothing saveable").isZero();
        assertThat(id.vwc()).as("VWC present, Flush of all namespaces").isEqualTo(0x7);
        assertThat(id.sgls() & 1).isEqualTo(1);
        assertThat(id.subnqn()).isEqualTo(NQN);
        assertThat(id.inCapsuleDataBytes()).isEqualTo(TestServer.IN_CAPSULE);
        assertThat(id.iorcsz()).isEqualTo(1);
        assertThat(id.msdbd()).isEqualTo(1);
        // The same subsystem reports the same serial to every controller.
        try (NvmeTcpHost other = server.connect(0)) {
            IdentifyController second = other.identifyController();
            assertThat(second.serialNumber()).isEqualTo(id.serialNumber());
            assertThat(second.cntlid()).isNotEqualTo(id.cntlid());
        }
    }

    @ParameterizedTest(name = "NSID {0}")
    @CsvSource({"1, 4096, 65536", "2, 512, 131072"})
    void identifyNamespaceGivesSizeFormatAndFeatures(int nsid, int lbaSize, long blocks) {
        IdentifyNamespace ns = host.identifyNamespace(nsid);
        assertThat(ns.nsze()).isEqualTo(blocks);
        assertThat(ns.ncap()).isEqualTo(blocks);
        assertThat(ns.nuse()).isBetween(0L, blocks);
        assertThat(ns.currentFormat().blockSize()).isEqualTo(lbaSize);
        assertThat(ns.currentFormat().metadataSize()).isZero();
        assertThat(ns.nsfeat() & IdentifyNamespace.NSFEAT_THIN_PROVISIONING).isEqualTo(1);
        assertThat(ns.nmic()).isEqualTo(1);
        assertThat(ns.dlfeat()).isEqualTo(IdentifyNamespace.DLFEAT_READ_ZEROES | IdentifyNamespace.DLFEAT_WRITE_ZEROES_DEALLOCATES);
        assertThat(ns.nguid()).isNotEqualTo(new byte[16]);
    }

    @ParameterizedTest(name = "NSID {0}")
    @ValueSource(ints = {0, NSID_ALL, TestServer.NN + 1, 0xFFFFFFFE})
    void identifyNamespaceOfAnInvalidNsidIsInvalidNamespaceOrFormat(int nsid) {
        expectIdentify(Cns.NAMESPACE, nsid, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT);
        expectIdentify(Cns.IO_COMMAND_SET_INDEPENDENT_NAMESPACE, nsid, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT);
    }

    @ParameterizedTest(name = "NSID {0}")
    @ValueSource(ints = {3, 17, TestServer.NN})
    void anInactiveButValidNsidIdentifiesAsZeros(int nsid) {
        assertThat(identifyData(Cns.NAMESPACE, nsid, 0)).isEqualTo(new byte[4096]);
        assertThat(identifyData(Cns.IO_COMMAND_SET_INDEPENDENT_NAMESPACE, nsid, 0)).isEqualTo(new byte[4096]);
        // Structures that only exist for active namespaces refuse it.
        expectIdentify(Cns.NAMESPACE_ID_DESCRIPTORS, nsid, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT);
        expectIdentify(Cns.IO_COMMAND_SET_NAMESPACE, nsid, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT);
    }

    @Test
    void theActiveNamespaceListStartsAfterTheGivenNsid() {
        assertThat(nsidList(identifyData(Cns.ACTIVE_NAMESPACE_LIST, 0, 0))).containsExactly(1, 2);
        assertThat(nsidList(identifyData(Cns.ACTIVE_NAMESPACE_LIST, 1, 0))).containsExactly(2);
        assertThat(nsidList(identifyData(Cns.ACTIVE_NAMESPACE_LIST, 2, 0))).isEmpty();
        assertThat(nsidList(identifyData(Cns.ACTIVE_NAMESPACE_LIST, 1000, 0))).isEmpty();
        expectIdentify(Cns.ACTIVE_NAMESPACE_LIST, 0xFFFFFFFE, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT);
        expectIdentify(Cns.ACTIVE_NAMESPACE_LIST, NSID_ALL, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT);
        assertThat(host.activeNamespaces()).containsExactly(1, 2);
        // CNS 07h: the same for the NVM command set, nothing for another.
        assertThat(nsidList(identifyData(Cns.IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST, 0, Cns.CSI_NVM))).containsExactly(1, 2);
        assertThat(nsidList(identifyData(Cns.IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST, 1, Cns.CSI_NVM))).containsExactly(2);
        expectIdentify(Cns.IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST, 0, Cns.CSI_ZONED, StatusCode.INVALID_FIELD_IN_COMMAND);
    }

    @Test
    void namespaceIdDescriptorsGiveEui64NguidUuidAndCsi() {
        Map<Integer, Map<Integer, byte[]>> byNs = new HashMap<>();
        for (int nsid : new int[] {NS_4K, NS_512}) {
            byte[] data = identifyData(Cns.NAMESPACE_ID_DESCRIPTORS, nsid, 0);
            Map<Integer, byte[]> descriptors = new HashMap<>();
            int at = 0;
            while (at + 4 <= data.length && data[at] != 0) {
                int type = data[at];
                int length = data[at + 1];
                descriptors.put(type, Arrays.copyOfRange(data, at + 4, at + 4 + length));
                at += 4 + length;
            }
            assertThat(descriptors.keySet()).containsExactlyInAnyOrder(1, 2, 3, 4);
            assertThat(descriptors.get(1)).hasSize(8);
            assertThat(descriptors.get(2)).hasSize(16);
            assertThat(descriptors.get(3)).hasSize(16);
            assertThat(descriptors.get(4)).containsExactly(Cns.CSI_NVM);
            IdentifyNamespace ns = host.identifyNamespace(nsid);
            assertThat(descriptors.get(2)).isEqualTo(ns.nguid());
            assertThat(descriptors.get(1)).isEqualTo(ns.eui64());
            byNs.put(nsid, descriptors);
        }
        assertThat(byNs.get(NS_4K).get(3)).isNotEqualTo(byNs.get(NS_512).get(3));
        expectIdentify(Cns.NAMESPACE_ID_DESCRIPTORS, 0, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT);
    }

    @Test
    void commandSetSpecificStructuresTakeCsiZeroOnly() {
        assertThat(identifyData(Cns.IO_COMMAND_SET_NAMESPACE, NS_4K, Cns.CSI_NVM)).hasSize(4096);
        expectIdentify(Cns.IO_COMMAND_SET_NAMESPACE, NS_4K, Cns.CSI_ZONED, StatusCode.INVALID_FIELD_IN_COMMAND);
        expectIdentify(Cns.IO_COMMAND_SET_NAMESPACE, NS_4K, 1, StatusCode.INVALID_FIELD_IN_COMMAND);
        assertThat(identifyData(Cns.IO_COMMAND_SET_CONTROLLER, 0, Cns.CSI_NVM)).hasSize(4096);
        expectIdentify(Cns.IO_COMMAND_SET_CONTROLLER, 0, Cns.CSI_ZONED, StatusCode.INVALID_FIELD_IN_COMMAND);
        byte[] independent = identifyData(Cns.IO_COMMAND_SET_INDEPENDENT_NAMESPACE, NS_512, 0);
        assertThat(independent[0]).as("NSFEAT").isEqualTo((byte) 1);
        assertThat(independent[1]).as("NMIC").isEqualTo((byte) 1);
        assertThat(independent[14]).as("NSTAT ready").isEqualTo((byte) 1);
        byte[] sets = identifyData(Cns.IO_COMMAND_SET_DATA_STRUCTURE, 0, 0);
        assertThat(io.netty.buffer.Unpooled.wrappedBuffer(sets).getLongLE(0)).as("combination 0: NVM").isEqualTo(1L);
        assertThat(io.netty.buffer.Unpooled.wrappedBuffer(sets).getLongLE(8)).isZero();
    }

    @ParameterizedTest(name = "CNS {0}")
    @ValueSource(ints = {0x04, 0x10, 0x11, 0x12, 0x13, 0x15, 0x1F, 0xFF})
    void anUnknownCnsIsInvalidField(int cns) {
        expectIdentify(cns, 0, 0, StatusCode.INVALID_FIELD_IN_COMMAND);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {512, 4092, 8192})
    void identifyIntoABufferOtherThan4KiBIsDataSglLengthInvalid(int length) {
        try (Completion c = Nvme.admin(host, Nvme.identify(Cns.CONTROLLER, 0, 0), null, length)) {
            assertStatus(c, StatusCode.DATA_SGL_LENGTH_INVALID, true);
        }
    }

    // ---- Get Log Page ----

    static byte[] log(NvmeTcpHost h, int nsid, int lid, long offset, int length) {
        return TestServer.bytesOf(h.getLogPage(nsid, lid, 0, offset, length));
    }

    static void expectLog(SubmissionQueueEntry sqe, int dataIn, StatusCode code) {
        try (Completion c = Nvme.admin(host, sqe, null, dataIn)) {
            assertStatus(c, code, true);
        }
    }

    @Test
    void supportedLogPagesListsWhatIsServed() {
        ByteBuf page = io.netty.buffer.Unpooled.wrappedBuffer(log(host, 0, LogPageId.SUPPORTED_LOG_PAGES, 0, 1024));
        for (int lid = 0; lid < 256; lid++) {
            assertThat(page.getIntLE(lid * 4) & 1).as("LID %02xh", lid).isEqualTo(lid <= 5 ? 1 : 0);
        }
    }

    @Test
    void smartHealthFirmwareAndChangedNamespaceLogs() {
        ByteBuf smart = io.netty.buffer.Unpooled.wrappedBuffer(log(host, NSID_ALL, LogPageId.SMART_HEALTH, 0, 512));
        assertThat(smart.getUnsignedShortLE(1)).as("composite temperature").isEqualTo(293);
        assertThat((int) smart.getUnsignedByte(3)).as("available spare").isEqualTo(100);
        assertThat(smart.getLongLE(112)).as("power cycles").isEqualTo(1);
        assertThat(log(host, 0, LogPageId.SMART_HEALTH, 0, 512)).hasSize(512);
        expectLog(NvmeCommands.getLogPage(NS_4K, LogPageId.SMART_HEALTH, 0, 0, 512), 512, StatusCode.INVALID_FIELD_IN_COMMAND);
        byte[] fw = log(host, 0, LogPageId.FIRMWARE_SLOT, 0, 512);
        assertThat(fw[0]).as("AFI: slot 1 active").isEqualTo((byte) 1);
        assertThat(new String(fw, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("0.1.0   ");
        assertThat(log(host, 0, LogPageId.CHANGED_NAMESPACE_LIST, 0, 4096)).isEqualTo(new byte[4096]);
    }

    @Test
    void commandsSupportedAndEffectsForTheNvmCommandSet() {
        SubmissionQueueEntry sqe = GetLogPageCommand.toSqe(0, 0, LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, 0, 0, 4096, Cns.CSI_NVM);
        byte[] data;
        try (Completion c = Nvme.admin(host, sqe, null, 4096)) {
            assertSuccess(c);
            data = TestServer.bytesOf(c.data().retain());
        }
        ByteBuf page = io.netty.buffer.Unpooled.wrappedBuffer(data);
        for (AdminOpcode op : AdminOpcode.values()) {
            assertThat(page.getIntLE(op.code() * 4)).as("admin %s", op).isEqualTo(CommandEffects.CSUPP);
        }
        assertThat(page.getIntLE(0x80 * 4)).as("Format NVM").isZero();
        int change = CommandEffects.CSUPP | CommandEffects.LBCC;
        assertThat(page.getIntLE(1024 + NvmOpcode.READ.code() * 4)).isEqualTo(CommandEffects.CSUPP);
        assertThat(page.getIntLE(1024 + NvmOpcode.FLUSH.code() * 4)).isEqualTo(CommandEffects.CSUPP);
        assertThat(page.getIntLE(1024 + NvmOpcode.WRITE.code() * 4)).isEqualTo(change);
        assertThat(page.getIntLE(1024 + NvmOpcode.WRITE_ZEROES.code() * 4)).isEqualTo(change);
        assertThat(page.getIntLE(1024 + NvmOpcode.DATASET_MANAGEMENT.code() * 4)).isEqualTo(change);
        assertThat(page.getIntLE(1024 + NvmOpcode.COMPARE.code() * 4)).isEqualTo(CommandEffects.CSUPP);
        assertThat(page.getIntLE(1024 + NvmOpcode.VERIFY.code() * 4)).isEqualTo(CommandEffects.CSUPP);
        assertThat(page.getIntLE(1024 + 0x80 * 4)).as("no vendor I/O command").isZero();
    }

    @Test
    void logPagesHonourOffsetAndLengthAndZeroFillPastTheirEnd() {
        byte[] smart = log(host, 0, LogPageId.SMART_HEALTH, 0, 512);
        assertThat(log(host, 0, LogPageId.SMART_HEALTH, 0, 16)).isEqualTo(Arrays.copyOf(smart, 16));
        byte[] longer = log(host, 0, LogPageId.SMART_HEALTH, 0, 1024);
        assertThat(Arrays.copyOf(longer, 512)).isEqualTo(smart);
        assertThat(Arrays.copyOfRange(longer, 512, 1024)).isEqualTo(new byte[512]);
        byte[] fw = log(host, 0, LogPageId.FIRMWARE_SLOT, 0, 512);
        assertThat(log(host, 0, LogPageId.FIRMWARE_SLOT, 8, 8)).isEqualTo(Arrays.copyOfRange(fw, 8, 16));
        assertThat(log(host, 0, LogPageId.FIRMWARE_SLOT, 508, 8)).isEqualTo(Arrays.copyOf(Arrays.copyOfRange(fw, 508, 512), 8));
        byte[] supported = log(host, 0, LogPageId.SUPPORTED_LOG_PAGES, 0, 1024);
        assertThat(log(host, 0, LogPageId.SUPPORTED_LOG_PAGES, 12, 12)).isEqualTo(Arrays.copyOfRange(supported, 12, 24));
    }

    @Test
    void logPageErrors() {
        // Offset at or past the end of the page.
        expectLog(NvmeCommands.getLogPage(0, LogPageId.SMART_HEALTH, 0, 512, 4), 4, StatusCode.INVALID_FIELD_IN_COMMAND);
        expectLog(NvmeCommands.getLogPage(0, LogPageId.FIRMWARE_SLOT, 0, 1L << 32, 4), 4, StatusCode.INVALID_FIELD_IN_COMMAND);
        // An offset that is not a whole dword.
        expectLog(GetLogPageCommand.toSqe(0, 0, LogPageId.SMART_HEALTH, 0, 2, 16, 0), 16, StatusCode.INVALID_FIELD_IN_COMMAND);
        // Unknown pages, and the discovery page on an NVM controller.
        for (int lid : new int[] {0x06, 0x0D, 0x70, 0x80, 0xC0}) {
            try (Completion c = Nvme.admin(host, NvmeCommands.getLogPage(0, lid, 0, 0, 512), null, 512)) {
                assertStatus(c, StatusCode.INVALID_LOG_PAGE, true);
                assertThat(c.status().code()).isEqualTo(0x109);
            }
        }
        // A buffer unlike NUMD, and more than MDTS.
        expectLog(NvmeCommands.getLogPage(0, LogPageId.SMART_HEALTH, 0, 0, 512), 4096, StatusCode.DATA_SGL_LENGTH_INVALID);
        expectLog(NvmeCommands.getLogPage(0, LogPageId.ERROR_INFORMATION, 0, 0, 2 * TestServer.MAX_TRANSFER),
                2 * TestServer.MAX_TRANSFER, StatusCode.INVALID_FIELD_IN_COMMAND);
    }

    @Test
    void theErrorLogRecordsFailedCommandsNewestFirst() {
        try (NvmeTcpHost h = server.connect(1)) {
            ByteBuf before = io.netty.buffer.Unpooled.wrappedBuffer(log(h, 0, LogPageId.ERROR_INFORMATION, 0, 4096));
            long count = before.getLongLE(0);
            long lba = TestServer.blockCount(NS_4K) + 5;
            int ioCid;
            try (Completion c = Nvme.io(h, Nvme.read(NS_4K, lba, 1), null, 4096)) {
                assertStatus(c, StatusCode.LBA_OUT_OF_RANGE, true);
                ioCid = c.cid();
            }
            int adminCid;
            try (Completion c = identify(h, 0x13, 0, 0)) {
                assertStatus(c, StatusCode.INVALID_FIELD_IN_COMMAND, true);
                adminCid = c.cid();
            }
            ByteBuf after = io.netty.buffer.Unpooled.wrappedBuffer(log(h, 0, LogPageId.ERROR_INFORMATION, 0, 4096));
            // Entry 0: the Identify on the admin queue.
            assertThat(after.getLongLE(0)).as("error count").isEqualTo(count + 2);
            assertThat(after.getUnsignedShortLE(8)).as("SQID").isZero();
            assertThat(after.getUnsignedShortLE(10)).as("CID").isEqualTo(adminCid);
            assertThat(NvmeStatus.fromField(after.getUnsignedShortLE(12))).isEqualTo(StatusCode.INVALID_FIELD_IN_COMMAND.dnr());
            // Entry 1: the Read on I/O queue 1, with its namespace and LBA.
            assertThat(after.getLongLE(64)).isEqualTo(count + 1);
            assertThat(after.getUnsignedShortLE(64 + 8)).as("SQID").isEqualTo(1);
            assertThat(after.getUnsignedShortLE(64 + 10)).as("CID").isEqualTo(ioCid);
            assertThat(NvmeStatus.fromField(after.getUnsignedShortLE(64 + 12))).isEqualTo(StatusCode.LBA_OUT_OF_RANGE.dnr());
            assertThat(after.getLongLE(64 + 16)).as("LBA").isEqualTo(lba);
            assertThat(after.getIntLE(64 + 24)).as("NSID").isEqualTo(NS_4K);
            // SMART / Health counts the entries too.
            ByteBuf smart = io.netty.buffer.Unpooled.wrappedBuffer(log(h, 0, LogPageId.SMART_HEALTH, 0, 512));
            assertThat(smart.getLongLE(176)).isEqualTo(count + 2);
            // Only the newest 64 are kept, and the count keeps going.
            for (int i = 0; i < 70; i++) {
                identify(h, 0x13, 0, 0).close();
            }
            ByteBuf full = io.netty.buffer.Unpooled.wrappedBuffer(log(h, 0, LogPageId.ERROR_INFORMATION, 0, 4096));
            assertThat(full.getLongLE(0)).isEqualTo(count + 72);
            assertThat(full.getLongLE(63 * 64)).isEqualTo(count + 72 - 63);
        }
    }

    // ---- Set / Get Features ----

    static int get(NvmeTcpHost h, int fid, int sel, int cdw11) {
        try (Completion c = Nvme.admin(h, Nvme.getFeatures(fid, sel, cdw11))) {
            assertSuccess(c);
            return c.dw0();
        }
    }

    static int set(NvmeTcpHost h, int fid, int cdw11) {
        try (Completion c = Nvme.admin(h, Nvme.setFeatures(fid, cdw11, false))) {
            assertSuccess(c);
            return c.dw0();
        }
    }

    static void expectSet(NvmeTcpHost h, int fid, int cdw11, StatusCode code) {
        try (Completion c = Nvme.admin(h, Nvme.setFeatures(fid, cdw11, false))) {
            assertStatus(c, code, true);
        }
    }

    /** Set then Get (SEL 0) returns {@code current}; SEL 1 and 2 the default; SEL 3 "changeable". */
    @ParameterizedTest(name = "FID {0}: set {1}")
    @CsvSource({
        "0x01, 0x03020107, 0x03020107, 0",
        "0x02, 0x00000000, 0, 0",
        "0x05, 0x00000064, 100, 0",
        "0x06, 0x00000000, 0, 1",
        "0x0A, 0x00000001, 1, 0",
        "0x0B, 0xFFFFFFFF, 0xFF, 0",
        "0x0F, 0x00002710, 10000, 0",
        "0x19, 0x00000000, 0, 0",
    })
    void setFeaturesThenGetFeaturesWithEachSelect(String fidText, String valueText, String currentText, int dflt) {
        int fid = Integer.decode(fidText);
        int value = Integer.parseUnsignedInt(valueText.substring(2), 16);
        int current = Integer.decode(currentText);
        try (NvmeTcpHost h = server.connect(0)) {
            set(h, fid, value);
            assertThat(get(h, fid, NvmeCommands.SEL_CURRENT, 0)).as("current").isEqualTo(current);
            assertThat(get(h, fid, NvmeCommands.SEL_DEFAULT, 0)).as("default").isEqualTo(dflt);
            assertThat(get(h, fid, NvmeCommands.SEL_SAVED, 0)).as("saved").isEqualTo(dflt);
            assertThat(get(h, fid, NvmeCommands.SEL_SUPPORTED_CAPABILITIES, 0)).as("capabilities").isEqualTo(0x4);
            if (fid == NvmeCommands.FID_KEEP_ALIVE_TIMER) {
                set(h, fid, 0);
            }
        }
    }

    @Test
    void temperatureThresholdsArePerSensorAndKind() {
        try (NvmeTcpHost h = server.connect(0)) {
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 0)).as("over-temperature default").isEqualTo(343);
            set(h, FID_TEMPERATURE_THRESHOLD, 350);
            set(h, FID_TEMPERATURE_THRESHOLD, (1 << 20) | 250);
            set(h, FID_TEMPERATURE_THRESHOLD, (1 << 16) | 360);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 0)).isEqualTo(350);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 1 << 20)).isEqualTo((1 << 20) | 250);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 1 << 16)).isEqualTo((1 << 16) | 360);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 2 << 16)).isEqualTo((2 << 16) | 343);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 1, 0)).isEqualTo(343);
            expectSet(h, FID_TEMPERATURE_THRESHOLD, (9 << 16) | 300, StatusCode.INVALID_FIELD_IN_COMMAND);
            expectSet(h, FID_TEMPERATURE_THRESHOLD, (2 << 20) | 300, StatusCode.INVALID_FIELD_IN_COMMAND);
            // TMPSEL Fh sets every sensor's threshold of that kind.
            set(h, FID_TEMPERATURE_THRESHOLD, (0xF << 16) | 330);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 0)).isEqualTo(330);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 5 << 16)).isEqualTo((5 << 16) | 330);
            assertThat(get(h, FID_TEMPERATURE_THRESHOLD, 0, 1 << 20)).as("under-temperature").isEqualTo((1 << 20) | 250);
        }
    }

    @Test
    void unsupportedFeatureValuesAreInvalidFieldsAndChangeNothing() {
        try (NvmeTcpHost h = server.connect(0)) {
            expectSet(h, FID_POWER_MANAGEMENT, 1, StatusCode.INVALID_FIELD_IN_COMMAND);
            assertThat(get(h, FID_POWER_MANAGEMENT, 0, 0)).isZero();
            set(h, FID_ERROR_RECOVERY, 7);
            expectSet(h, FID_ERROR_RECOVERY, 1 << 16, StatusCode.INVALID_FIELD_IN_COMMAND);
            assertThat(get(h, FID_ERROR_RECOVERY, 0, 0)).isEqualTo(7);
            expectSet(h, FID_IO_COMMAND_SET_PROFILE, 1, StatusCode.INVALID_FIELD_IN_COMMAND);
            for (int fid : new int[] {0x03, 0x08, 0x0C, 0x80, 0xFF}) {
                expectSet(h, fid, 0, StatusCode.INVALID_FIELD_IN_COMMAND);
                try (Completion c = Nvme.admin(h, Nvme.getFeatures(fid, 0, 0))) {
                    assertStatus(c, StatusCode.INVALID_FIELD_IN_COMMAND, true);
                }
            }
            for (int sel = 4; sel < 8; sel++) {
                try (Completion c = Nvme.admin(h, Nvme.getFeatures(FID_ARBITRATION, sel, 0))) {
                    assertStatus(c, StatusCode.INVALID_FIELD_IN_COMMAND, true);
                }
            }
        }
    }

    @Test
    void savingAFeatureIsFeatureIdentifierNotSaveable() {
        try (NvmeTcpHost h = server.connect(0)) {
            try (Completion c = Nvme.admin(h, Nvme.setFeatures(FID_ARBITRATION, 5, true))) {
                assertStatus(c, StatusCode.FEATURE_IDENTIFIER_NOT_SAVEABLE, true);
                assertThat(c.status().code()).isEqualTo(0x10D);
            }
            assertThat(get(h, FID_ARBITRATION, 0, 0)).isZero();
            // A namespace for a controller-wide feature.
            SubmissionQueueEntry withNsid = SubmissionQueueEntry.builder(AdminOpcode.SET_FEATURES.code())
                    .nsid(NS_4K).cdw10(FID_ARBITRATION).cdw11(5).build();
            try (Completion c = Nvme.admin(h, withNsid)) {
                assertStatus(c, StatusCode.FEATURE_NOT_NAMESPACE_SPECIFIC, true);
            }
            // Data for a feature that takes none.
            try (Completion c = Nvme.admin(h, Nvme.setFeatures(FID_ARBITRATION, 5, false), TestServer.buffer(new byte[16]), 0)) {
                assertStatus(c, StatusCode.DATA_SGL_LENGTH_INVALID, true);
            }
        }
    }

    @Test
    void volatileWriteCacheOffStillAcceptsWrites() {
        try (NvmeTcpHost h = server.connect(1)) {
            set(h, FID_VOLATILE_WRITE_CACHE, 0);
            assertThat(get(h, FID_VOLATILE_WRITE_CACHE, 0, 0)).isZero();
            long lba = server.allocate(NS_512, 8);
            byte[] data = TestServer.randomBytes(new Random(9), 8 * 512);
            Nvme.write(h, NS_512, lba, data, false);
            Nvme.ok(h, Nvme.writeZeroes(NS_512, lba + 4, 2, false));
            byte[] expected = data.clone();
            Arrays.fill(expected, 4 * 512, 6 * 512, (byte) 0);
            assertThat(Nvme.read(h, NS_512, lba, 8)).isEqualTo(expected);
            set(h, FID_VOLATILE_WRITE_CACHE, 1);
            assertThat(get(h, FID_VOLATILE_WRITE_CACHE, 0, 0)).isEqualTo(1);
        }
    }

    @Test
    void hostBehaviorSupportRoundTripsItsFiveHundredTwelveBytes() {
        try (NvmeTcpHost h = server.connect(0)) {
            byte[] value = TestServer.randomBytes(new Random(10), 512);
            // ACRE, ETDAS, LBAFEE are booleans; HDISNS and CDFE (bytes 3 to 5) stay 0; the rest is reserved.
            value[0] = 1;
            value[1] = 0;
            value[2] = 1;
            value[3] = 0;
            value[4] = 0;
            value[5] = 0;
            try (Completion c = Nvme.admin(h, Nvme.setFeatures(FID_HOST_BEHAVIOR, 0, false), TestServer.buffer(value), 0)) {
                assertSuccess(c);
            }
            assertThat(getHostBehavior(h, 0)).isEqualTo(value);
            assertThat(getHostBehavior(h, 1)).isEqualTo(new byte[512]);
            // ACRE 2 is not a boolean: refused, and the value stays.
            byte[] bad = value.clone();
            bad[0] = 2;
            try (Completion c = Nvme.admin(h, Nvme.setFeatures(FID_HOST_BEHAVIOR, 0, false), TestServer.buffer(bad), 0)) {
                assertStatus(c, StatusCode.INVALID_FIELD_IN_COMMAND, true);
            }
            assertThat(getHostBehavior(h, 0)).isEqualTo(value);
            // Any other length.
            try (Completion c = Nvme.admin(h, Nvme.setFeatures(FID_HOST_BEHAVIOR, 0, false), TestServer.buffer(new byte[256]), 0)) {
                assertStatus(c, StatusCode.DATA_SGL_LENGTH_INVALID, true);
            }
            try (Completion c = Nvme.admin(h, Nvme.setFeatures(FID_HOST_BEHAVIOR, 0, false))) {
                assertStatus(c, StatusCode.DATA_SGL_LENGTH_INVALID, true);
            }
            try (Completion c = Nvme.admin(h, Nvme.getFeatures(FID_HOST_BEHAVIOR, 0, 0), null, 256)) {
                assertStatus(c, StatusCode.DATA_SGL_LENGTH_INVALID, true);
            }
        }
    }

    static byte[] getHostBehavior(NvmeTcpHost h, int sel) {
        try (Completion c = Nvme.admin(h, Nvme.getFeatures(FID_HOST_BEHAVIOR, sel, 0), null, 512)) {
            assertSuccess(c);
            return TestServer.bytesOf(c.data().retain());
        }
    }

    @Test
    void numberOfQueuesGrantsTheSmallerRequestUpToTheMaximum() {
        int max = TestServer.MAX_IO_QUEUES - 1;
        try (NvmeTcpHost h = server.connect(0)) {
            assertThat(get(h, NvmeCommands.FID_NUMBER_OF_QUEUES, NvmeCommands.SEL_DEFAULT, 0)).isEqualTo((max << 16) | max);
            assertThat(set(h, NvmeCommands.FID_NUMBER_OF_QUEUES, (3 << 16) | 3)).isEqualTo((3 << 16) | 3);
            assertThat(get(h, NvmeCommands.FID_NUMBER_OF_QUEUES, 0, 0)).isEqualTo((3 << 16) | 3);
            assertThat(set(h, NvmeCommands.FID_NUMBER_OF_QUEUES, (7 << 16) | 1)).isEqualTo((1 << 16) | 1);
            assertThat(set(h, NvmeCommands.FID_NUMBER_OF_QUEUES, (999 << 16) | 999)).isEqualTo((max << 16) | max);
            assertThat(set(h, NvmeCommands.FID_NUMBER_OF_QUEUES, 0)).isZero();
            expectSet(h, NvmeCommands.FID_NUMBER_OF_QUEUES, 0xFFFF, StatusCode.INVALID_FIELD_IN_COMMAND);
            expectSet(h, NvmeCommands.FID_NUMBER_OF_QUEUES, 0xFFFF << 16, StatusCode.INVALID_FIELD_IN_COMMAND);
            assertThat(set(h, NvmeCommands.FID_NUMBER_OF_QUEUES, (1 << 16) | 1)).isEqualTo((1 << 16) | 1);
            // Once an I/O queue exists the number cannot change.
            try (RawQueue io = RawQueue.io(server, h.options(), h.controllerId(), 1, 32, 0, false, false)) {
                expectSet(h, NvmeCommands.FID_NUMBER_OF_QUEUES, (3 << 16) | 3, StatusCode.COMMAND_SEQUENCE_ERROR);
                assertThat(get(h, NvmeCommands.FID_NUMBER_OF_QUEUES, 0, 0)).isEqualTo((1 << 16) | 1);
                assertThat(io.command(Nvme.flush(NS_4K).withCid(1)).status()).isEqualTo(NvmeStatus.SUCCESS);
            }
        }
    }

    @Test
    void keepAliveTimerReadsBackWhatWasSet() {
        try (NvmeTcpHost h = server.connect(0)) {
            assertThat(get(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 0, 0)).isZero();
            set(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 120_000);
            assertThat(get(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 0, 0)).isEqualTo(120_000);
            h.keepAlive();
            set(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 0);
            assertThat(get(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 0, 0)).isZero();
        }
    }

    @Test
    void aKeepAliveTimeoutAboveTheConfiguredMaximumIsRefused() {
        // nvme.max-keep-alive-timeout: 5 min by default.
        try (NvmeTcpHost h = server.connect(0)) {
            set(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 300_000);
            try (Completion c = Nvme.admin(h, Nvme.setFeatures(NvmeCommands.FID_KEEP_ALIVE_TIMER, 300_001, false))) {
                assertStatus(c, StatusCode.INVALID_FIELD_IN_COMMAND, true);
            }
            assertThat(get(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 0, 0)).as("unchanged").isEqualTo(300_000);
            set(h, NvmeCommands.FID_KEEP_ALIVE_TIMER, 0);
        }
    }

    // ---- Asynchronous Event Request and Abort ----

    static SubmissionQueueEntry aer(int cid) {
        return SubmissionQueueEntry.builder(AdminOpcode.ASYNCHRONOUS_EVENT_REQUEST.code()).cid(cid).build();
    }

    static SubmissionQueueEntry abort(int cid, int sqid, int victim) {
        return SubmissionQueueEntry.builder(AdminOpcode.ABORT.code()).cid(cid).cdw10(sqid | (victim << 16)).build();
    }

    @Test
    void fourAsyncEventRequestsWaitTheFifthExceedsTheLimitAndAbortEndsOne() {
        HostOptions id = server.options(NQN).build();
        try (RawQueue q = RawQueue.admin(server, id, 32, 0, true)) {
            for (int cid = 10; cid < 14; cid++) {
                q.send(aer(cid), null);
            }
            q.expectNothing();
            CompletionQueueEntry fifth = q.command(aer(14));
            assertThat(fifth.cid()).isEqualTo(14);
            assertStatus(fifth, StatusCode.ASYNCHRONOUS_EVENT_REQUEST_LIMIT_EXCEEDED, true);
            assertThat(fifth.status().code()).isEqualTo(0x105);
            // Other admin commands go on while the requests wait.
            assertThat(q.command(NvmeCommands.keepAlive().withCid(15)).status()).isEqualTo(NvmeStatus.SUCCESS);

            // Abort of a waiting request: it completes with Command Abort Requested, Abort says "aborted".
            q.send(abort(20, 0, 11), null);
            Map<Integer, CompletionQueueEntry> byCid = new HashMap<>();
            for (int i = 0; i < 2; i++) {
                CompletionQueueEntry cqe = q.response();
                byCid.put(cqe.cid(), cqe);
            }
            assertThat(byCid).containsOnlyKeys(11, 20);
            assertStatus(byCid.get(11), StatusCode.COMMAND_ABORT_REQUESTED, false);
            assertThat(byCid.get(20).status()).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(byCid.get(20).dw0() & 1).as("aborted").isZero();

            // Unknown CIDs, and the right CID on another queue, are not aborted.
            for (int[] target : new int[][] {{0, 99}, {0, 11}, {1, 10}}) {
                CompletionQueueEntry cqe = q.command(abort(21, target[0], target[1]));
                assertThat(cqe.status()).isEqualTo(NvmeStatus.SUCCESS);
                assertThat(cqe.dw0() & 1).as("not aborted: SQID %d CID %d", target[0], target[1]).isEqualTo(1);
            }
            // The aborted request freed a slot: one more is held, the next exceeds the limit again.
            q.send(aer(11), null);
            q.expectNothing();
            assertStatus(q.command(aer(16)), StatusCode.ASYNCHRONOUS_EVENT_REQUEST_LIMIT_EXCEEDED, true);
        }
        // The controller went away with its requests pending: a new one starts clean.
        try (NvmeTcpHost h = server.connect(1)) {
            h.keepAlive();
        }
    }

    // ---- opcodes ----

    @ParameterizedTest(name = "opcode {0}")
    @ValueSource(ints = {0x00, 0x01, 0x04, 0x05, 0x10, 0x11, 0x80, 0x81, 0x84, 0xC0, 0xFF})
    void anUnknownAdminOpcodeIsInvalidCommandOpcode(int opcode) {
        try (Completion c = Nvme.admin(host, SubmissionQueueEntry.builder(opcode).build())) {
            assertStatus(c, StatusCode.INVALID_COMMAND_OPCODE, true);
        }
        host.keepAlive();
    }

    @Test
    void keepAliveSucceeds() {
        try (Completion c = Nvme.admin(host, NvmeCommands.keepAlive())) {
            assertSuccess(c);
        }
    }
}
