package org.copyoffload.protocol.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.PropertyCommand;
import org.copyoffload.protocol.nvme.zns.ZoneDescriptor;
import org.copyoffload.protocol.nvme.zns.ZoneManagementReceive;
import org.copyoffload.protocol.nvme.zns.ZoneManagementSend;
import org.copyoffload.protocol.nvme.zns.ZoneReport;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;
import org.junit.jupiter.api.Test;

/**
 * Writes the seed corpus of {@link NvmeStructuresFuzzTest} with the codebase's encoders (not part of the suite: run
 * it by name, {@code -Dtest=NvmeStructureSeeds}, from the module directory).
 */
class NvmeStructureSeeds {
    static final Path BASE = Path.of("src/test/resources/org/copyoffload/protocol/nvme/NvmeStructuresFuzzTestInputs");

    @Test
    void write() throws Exception {
        List<SubmissionQueueEntry> sqes = List.of(
                CopyCommand.builder().nsid(1).sdlba(0x1000).nr(2).desfmt(0).build().toSqe(7),
                CopyCommand.builder().nsid(1).sdlba(0x2000).nr(0).desfmt(2).build().toSqe(8),
                new ConnectCommand(0, 1, 127, 0, 120000).toSqe(1),
                new PropertyCommand(false, 8, 0, 0).toSqe(2),
                new PropertyCommand(true, 4, 0x14, 0x460001).toSqe(3),
                ZoneManagementSend.of(1, 0x8000, ZoneSendAction.values()[0], false).toSqe(4),
                ZoneManagementReceive.reportZones(1, 0, 4096, 0, true).toSqe(5));
        for (int i = 0; i < sqes.size(); i++) {
            ByteBuf out = Unpooled.buffer(SubmissionQueueEntry.SIZE).writeZero(SubmissionQueueEntry.SIZE);
            sqes.get(i).encode(out, 0);
            write("submissionQueueEntry", "seed-" + i, ByteBufUtil.getBytes(out));
        }
        int n = 0;
        for (CopyDescriptorFormat format : CopyDescriptorFormat.values()) {
            List<CopySourceRange> ranges = List.of(CopySourceRange.of(format, 0x10, 8),
                    CopySourceRange.of(format, 0x100, 1));
            ByteBuf list = CopySourceRange.encodeList(ranges);
            try {
                byte[] data = ByteBufUtil.getBytes(list);
                byte[] seed = new byte[data.length + 2];
                seed[0] = (byte) format.code();
                seed[1] = 1;
                System.arraycopy(data, 0, seed, 2, data.length);
                write("copySourceRanges", "seed-" + n++, seed);
            } finally {
                list.release();
            }
        }
        ByteBuf connect = Unpooled.buffer(ConnectData.SIZE);
        new ConnectData(new byte[16], 0xFFFF, "nqn.2026-01.org.copyoffload:disk",
                "nqn.2014-08.org.nvmexpress:uuid:0f0e0d0c-0b0a-0908-0706-050403020100").encode(connect);
        write("connectData", "seed-0", ByteBufUtil.getBytes(connect));
        int bytes = ZoneReport.HEADER + 2 * ZoneDescriptor.SIZE;
        ByteBuf report = Unpooled.buffer(bytes);
        new ZoneReport(2, List.of(ZoneDescriptor.sequential(ZoneDescriptor.STATE_EMPTY, 1024, 0, 0),
                ZoneDescriptor.sequential(ZoneDescriptor.STATE_FULL, 1024, 1024, 2048))).encode(report, bytes);
        byte[] r = ByteBufUtil.getBytes(report);
        byte[] seed = new byte[r.length + 2];
        seed[0] = (byte) (bytes >> 8);
        seed[1] = (byte) bytes;
        System.arraycopy(r, 0, seed, 2, r.length);
        write("zoneReport", "seed-0", seed);
    }

    private static void write(String method, String name, byte[] bytes) throws Exception {
        Path dir = Files.createDirectories(BASE.resolve(method));
        Files.write(dir.resolve(name), bytes);
    }
}
