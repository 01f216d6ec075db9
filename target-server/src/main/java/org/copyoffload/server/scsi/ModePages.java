package org.copyoffload.server.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.ModePage;
import org.copyoffload.protocol.scsi.ModeParameters;
import org.copyoffload.protocol.scsi.ModeSelectCdb;
import org.copyoffload.protocol.scsi.ModeSenseCdb;
import org.copyoffload.protocol.scsi.OperationCode;

/**
 * MODE SENSE and MODE SELECT (SPC-5 6.12-6.15) over three pages: Caching (08h, WCE changeable), Control (0Ah,
 * D_SENSE changeable) and Informational Exceptions Control (1Ch, nothing changeable, exceptions disabled). No page
 * has saved values: PC 11b is SAVING PARAMETERS NOT SUPPORTED, SP is INVALID FIELD IN CDB, PS is zero.
 */
final class ModePages {
    private static final int[] PAGE_CODES = {ModePage.CACHING, ModePage.CONTROL,
            ModePage.INFORMATIONAL_EXCEPTIONS_CONTROL};

    private ModePages() {
    }

    /** The page as the PAGE CONTROL field asks: current or default values, or the changeable-bits mask. */
    static byte[] page(int code, int pageControl, ModeState current) {
        ModeState state = pageControl == ModeSenseCdb.PC_DEFAULT ? ModeState.DEFAULT : current;
        boolean mask = pageControl == ModeSenseCdb.PC_CHANGEABLE;
        return switch (code) {
            case ModePage.CACHING -> new ModePage.Caching(mask || state.writeCacheEnabled(), false).encode();
            // TST 000b (one task set), QUEUE ALGORITHM MODIFIER 1h (commands are reordered: they run concurrently),
            // QERR 00b, TAS 0 (the transport ends aborted commands), unlimited busy timeout.
            case ModePage.CONTROL -> mask ? new ModePage.Control(0, true, 0, 0, false, false, 0).encode()
                    : new ModePage.Control(0, state.descriptorSense(), 1, 0, false, false, 0xFFFF).encode();
            case ModePage.INFORMATIONAL_EXCEPTIONS_CONTROL -> new ModePage.InformationalExceptions(!mask, 0).encode();
            default -> throw new IllegalArgumentException("no mode page " + code);
        };
    }

    /**
     * MODE SENSE (6)/(10): the header (DPOFUA set: DPO and FUA are honoured), a block descriptor unless DBD (a long
     * one for (10) with LLBAA), then the page or all pages (3Fh), cut to the allocation length. SUBPAGE CODE may be
     * 00h or FFh (all subpages, of which there are none beyond subpage 0).
     */
    static CompletableFuture<ScsiResponse> modeSense(Request r) {
        ModeSenseCdb c = ModeSenseCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (c.pageControl() == ModeSenseCdb.PC_SAVED) {
            throw new CheckCondition(AdditionalSense.SAVING_PARAMETERS_NOT_SUPPORTED,
                    "PC = 11b: the logical unit has no saved mode parameters");
        }
        if (c.subpageCode() != 0 && c.subpageCode() != ModeSenseCdb.ALL_SUBPAGES) {
            throw CheckCondition.invalidField(ModeSenseCdb.SUBPAGE_CODE, c.subpageCode(), "no mode subpages");
        }
        List<byte[]> pages = new ArrayList<>();
        ModeState state = u.mode();
        if (c.pageCode() == ModeSenseCdb.ALL_PAGES) {
            for (int code : PAGE_CODES) {
                pages.add(page(code, c.pageControl(), state));
            }
        } else if (isPage(c.pageCode())) {
            pages.add(page(c.pageCode(), c.pageControl(), state));
        } else {
            throw CheckCondition.invalidField(ModeSenseCdb.PAGE_CODE, c.pageCode(), "mode page not implemented");
        }
        boolean ten = c.opcode() == OperationCode.MODE_SENSE_10;
        Optional<ModeParameters.BlockDescriptor> descriptor = c.dbd() ? Optional.empty()
                : Optional.of(new ModeParameters.BlockDescriptor(u.blockCount(), u.blockSize()));
        byte[] data = ModeParameters.encode(ten, ModeParameters.DPOFUA, descriptor, c.llbaa(), pages);
        return Responses.dataIn(data, c.allocationLength());
    }

    private static boolean isPage(int code) {
        for (int p : PAGE_CODES) {
            if (p == code) {
                return true;
            }
        }
        return false;
    }

    /**
     * MODE SELECT (6)/(10). Refused: SP (no saved pages) and, with a parameter list, PF = 0 (only the standard page
     * format is understood). The list is checked whole before anything changes: a block descriptor must describe
     * this unit (its block length, and its block count or zero), each page must be one of ours, with PS zero and
     * its page length, and differ from the current values only in changeable bits (INVALID FIELD IN PARAMETER LIST
     * pointing at the first bit that may not change). Then the new values take effect for every I_T nexus and the
     * others get MODE PARAMETERS CHANGED. Turning the write cache off first flushes it, so that from then on every
     * completed write is on stable storage, earlier ones included.
     */
    static CompletableFuture<ScsiResponse> modeSelect(Request r) {
        ModeSelectCdb c = ModeSelectCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (c.savePages()) {
            throw CheckCondition.invalidField(ModeSelectCdb.SP, 1, "the logical unit has no saved mode pages");
        }
        if (c.parameterListLength() == 0) {
            return Responses.GOOD;
        }
        if (!c.pageFormat()) {
            throw CheckCondition.invalidField(ModeSelectCdb.PF, 0, "only the standard page format is supported");
        }
        boolean ten = c.opcode() == OperationCode.MODE_SELECT_10;
        int length = Math.min(c.parameterListLength(), r.dataOutLength());
        ModeParameters.Parsed list = ModeParameters.decode(ten, length == 0 ? new byte[0] : r.dataOutBytes(length),
                length);
        for (ModeParameters.BlockDescriptor d : list.blockDescriptors()) {
            checkBlockDescriptor(u, d);
        }
        ModeState before;
        ModeState after;
        do {
            before = u.mode();
            after = apply(list, before);
            if (after.equals(before)) {
                return Responses.GOOD;
            }
            // Only changeable bits may differ and the checks do not depend on their values, so after a concurrent
            // MODE SELECT or reset it is enough to apply the pages again to the new values.
        } while (!u.replaceMode(before, after));
        List<ItNexus> others = new ArrayList<>(r.target().knownNexuses());
        others.remove(r.nexus());
        u.establishUnitAttention(others, AdditionalSense.MODE_PARAMETERS_CHANGED);
        if (before.writeCacheEnabled() && !after.writeCacheEnabled()) {
            return u.submit("flush for WCE = 0", AdditionalSense.WRITE_ERROR, () -> {
                u.store().flush();
                return ScsiResponse.GOOD;
            });
        }
        return Responses.GOOD;
    }

    /** The state the pages ask for, starting from {@code before}; CHECK CONDITION for a page it cannot take. */
    private static ModeState apply(ModeParameters.Parsed list, ModeState before) {
        boolean wce = before.writeCacheEnabled();
        boolean dSense = before.descriptorSense();
        for (ModeParameters.Page p : list.pages()) {
            byte[] page = p.bytes();
            if (p.parametersSaveable()) {
                throw CheckCondition.invalidParameter("PS", p.offset(), 7, 1, "reserved in MODE SELECT");
            }
            if (p.subpageFormat() || !isPage(p.pageCode())) {
                throw CheckCondition.invalidParameter("PAGE CODE", p.offset(), 5, page[0] & 0x7F,
                        "mode page not implemented");
            }
            byte[] current = page(p.pageCode(), ModeSenseCdb.PC_CURRENT, before);
            if (page.length != current.length) {
                throw CheckCondition.invalidParameter("PAGE LENGTH", p.offset() + 1, 7, page[1] & 0xFF,
                        "page " + String.format("%02Xh", p.pageCode()) + " is " + (current.length - 2) + " bytes");
            }
            byte[] changeable = page(p.pageCode(), ModeSenseCdb.PC_CHANGEABLE, before);
            for (int i = 2; i < page.length; i++) {
                int fixed = (page[i] ^ current[i]) & ~changeable[i] & 0xFF;
                if (fixed != 0) {
                    int bit = 31 - Integer.numberOfLeadingZeros(fixed);
                    throw CheckCondition.invalidParameter("page " + String.format("%02Xh", p.pageCode())
                            + " byte " + i, p.offset() + i, bit, page[i] & 0xFF, "bit " + bit + " is not changeable");
                }
            }
            switch (p.pageCode()) {
                case ModePage.CACHING -> wce = ModePage.Caching.decode(page).wce();
                case ModePage.CONTROL -> dSense = ModePage.Control.decode(page).dSense();
                default -> { }
            }
        }
        return new ModeState(wce, dSense);
    }

    private static void checkBlockDescriptor(LogicalUnit u, ModeParameters.BlockDescriptor d) {
        if (d.blockLength() != u.blockSize()) {
            throw CheckCondition.invalidParameter("LOGICAL BLOCK LENGTH", d.blockLengthOffset(), 7, d.blockLength(),
                    "the logical block length is " + u.blockSize() + " and cannot change");
        }
        long shown = Math.min(u.blockCount(), 0xFFFF_FFFFL);
        if (d.blocks() != 0 && d.blocks() != shown && d.blocks() != u.blockCount()) {
            throw CheckCondition.invalidParameter("NUMBER OF LOGICAL BLOCKS", d.offset(), 7, d.blocks(),
                    "the capacity is " + u.blockCount() + " blocks and cannot change");
        }
    }
}
