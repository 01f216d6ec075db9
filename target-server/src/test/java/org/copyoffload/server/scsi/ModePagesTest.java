package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ModePage;
import org.copyoffload.protocol.scsi.ModeParameters;
import org.copyoffload.protocol.scsi.ModeSelectCdb;
import org.copyoffload.protocol.scsi.ModeSenseCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.junit.jupiter.api.Test;

/** MODE SENSE and MODE SELECT: pages, page control, block descriptors, changes and their unit attentions. */
class ModePagesTest extends ScsiTestBase {
    static byte[] sense6(int pc, int page, int alloc) {
        return new ModeSenseCdb(OperationCode.MODE_SENSE_6, false, false, pc, page, 0, alloc).encode();
    }

    static byte[] select(OperationCode op, int length) {
        return new ModeSelectCdb(op, true, false, length).encode();
    }

    /** Turns the write cache on or off through MODE SELECT (6) from nexus A. */
    static void setWriteCache(ScsiTestBase t, long lun, boolean wce) {
        byte[] list = ModeParameters.encode(false, 0, Optional.empty(), false,
                List.of(new ModePage.Caching(wce, false).encode()));
        t.write(lun, select(OperationCode.MODE_SELECT_6, list.length), list).good();
    }

    /** The page {@code code} found in mode data of a 6-byte MODE SENSE. */
    static byte[] findPage(byte[] data, int code) {
        int at = 4 + (data[3] & 0xFF);
        while (at < data.length) {
            int len = (data[at + 1] & 0xFF) + 2;
            if ((data[at] & 0x3F) == code) {
                return Arrays.copyOfRange(data, at, at + len);
            }
            at += len;
        }
        return null;
    }

    @Test
    void allPagesWithHeaderAndBlockDescriptor() {
        byte[] data = run(LUN_4K, sense6(ModeSenseCdb.PC_CURRENT, 0x3F, 255)).good().data();
        assertThat(data[0] & 0xFF).isEqualTo(data.length - 1);
        assertThat(data[2] & 0xFF).as("DPOFUA, not write protected").isEqualTo(0x10);
        assertThat(data[3]).isEqualTo((byte) 8);
        assertThat(Arrays.copyOfRange(data, 4, 12)).isEqualTo(new byte[] {0, 0, 0x10, 0, 0, 0, 0x10, 0});
        assertThat(findPage(data, 0x08)).isEqualTo(new ModePage.Caching(true, false).encode());
        byte[] control = findPage(data, 0x0A);
        assertThat(control).isNotNull();
        assertThat(ModePage.Control.decode(control).dSense()).isFalse();
        assertThat(findPage(data, 0x1C)).isEqualTo(new ModePage.InformationalExceptions(true, 0).encode());
        // The Control page alone is the same bytes.
        byte[] alone = run(LUN_4K, sense6(ModeSenseCdb.PC_CURRENT, 0x0A, 255)).good().data();
        assertThat(findPage(alone, 0x0A)).isEqualTo(control);
    }

    @Test
    void changeableDefaultAndSavedValues() {
        byte[] changeable = run(LUN_4K, sense6(ModeSenseCdb.PC_CHANGEABLE, 0x3F, 255)).good().data();
        assertThat(findPage(changeable, 0x08)[2]).isEqualTo((byte) 0x04); // WCE only
        assertThat(findPage(changeable, 0x0A)[2]).isEqualTo((byte) 0x04); // D_SENSE only
        assertThat(findPage(changeable, 0x0A)[4] & 0x08).as("SWP is not changeable").isZero();
        assertThat(Arrays.copyOfRange(findPage(changeable, 0x1C), 2, 12)).containsOnly(0);
        setWriteCache(this, LUN_4K, false);
        byte[] defaults = run(LUN_4K, sense6(ModeSenseCdb.PC_DEFAULT, 0x08, 255)).good().data();
        assertThat(findPage(defaults, 0x08)[2] & 0x04).isEqualTo(0x04);
        byte[] current = run(LUN_4K, sense6(ModeSenseCdb.PC_CURRENT, 0x08, 255)).good().data();
        assertThat(findPage(current, 0x08)[2] & 0x04).isZero();
        run(LUN_4K, sense6(ModeSenseCdb.PC_SAVED, 0x08, 255)).check(AdditionalSense.SAVING_PARAMETERS_NOT_SUPPORTED);
    }

    @Test
    void modeSense10WithLongLbaAndDbd() {
        byte[] ten = run(LUN_512, new ModeSenseCdb(OperationCode.MODE_SENSE_10, false, true, 0, 0x08, 0, 512)
                .encode()).good().data();
        assertThat(((ten[0] & 0xFF) << 8 | ten[1] & 0xFF)).isEqualTo(ten.length - 2);
        assertThat(ten[4] & 1).as("LONGLBA").isEqualTo(1);
        assertThat(ten[7]).isEqualTo((byte) 16);
        assertThat(java.nio.ByteBuffer.wrap(ten, 8, 16).getLong()).isEqualTo(BLOCKS_512);
        byte[] dbd = run(LUN_512, new ModeSenseCdb(OperationCode.MODE_SENSE_10, true, false, 0, 0x08, 0, 512)
                .encode()).good().data();
        assertThat(dbd).hasSize(8 + 20);
        assertThat(dbd[7]).isZero();
    }

    @Test
    void allocationLengthCutsTheDataAndUnknownPagesAreInvalid() {
        assertThat(run(LUN_4K, sense6(0, 0x3F, 4)).good().data()).hasSize(4);
        assertThat(run(LUN_4K, sense6(0, 0x3F, 0)).good().data()).isEmpty();
        run(LUN_4K, sense6(0, 0x19, 255)).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 5));
        run(LUN_4K, new ModeSenseCdb(OperationCode.MODE_SENSE_6, false, false, 0, 0x0A, 1, 255).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(3, 7));
        run(LUN_4K, new ModeSenseCdb(OperationCode.MODE_SENSE_6, false, false, 0, 0x3F, 0xFF, 255).encode()).good();
    }

    @Test
    void modeSelectOfTheCachePageIsSeenByAnotherNexusWithAUnitAttention() {
        // B has been seen by the target (a nexus exists once it sends something).
        run(B, LUN_4K, tur()).good();
        setWriteCache(this, LUN_4K, false);
        // A, which changed it, has no unit attention.
        run(A, LUN_4K, tur()).good();
        // B's next command reports MODE PARAMETERS CHANGED, then B sees the new value.
        run(B, LUN_4K, tur()).check(AdditionalSense.MODE_PARAMETERS_CHANGED);
        byte[] seen = run(B, LUN_4K, sense6(0, 0x08, 255)).good().data();
        assertThat(findPage(seen, 0x08)[2] & 0x04).isZero();
        // The other logical unit is not affected.
        assertThat(findPage(run(B, LUN_512, sense6(0, 0x08, 255)).good().data(), 0x08)[2] & 0x04).isEqualTo(4);
        // Writes are now durable, and turning the cache off flushed what it held.
        assertThat(store4k.flushes).hasValue(1);
        write(B, LUN_4K, new ReadWriteCdb(OperationCode.WRITE_10, 0, 1, 0, false, false).encode(), new byte[4096])
                .good();
        assertThat(store4k.durableWrites).hasValue(1);
        // Setting the same value again changes nothing and raises no unit attention.
        setWriteCache(this, LUN_4K, false);
        run(B, LUN_4K, tur()).good();
    }

    @Test
    void dSenseSwitchesCheckConditionsToDescriptorFormat() {
        byte[] list = ModeParameters.encode(true, 0, Optional.empty(), false,
                List.of(new ModePage.Control(0, true, 1, 0, false, false, 0xFFFF).encode()));
        write(LUN_4K, select(OperationCode.MODE_SELECT_10, list.length), list).good();
        Result r = run(LUN_4K, new ReadWriteCdb(OperationCode.READ_16, -1, 1, 0, false, false).encode());
        r.check(AdditionalSense.LBA_OUT_OF_RANGE);
        assertThat(r.senseBytes()[0] & 0x7F).isEqualTo(0x72);
        // The 512-byte unit keeps fixed format.
        Result other = run(LUN_512, new ReadWriteCdb(OperationCode.READ_16, -1, 1, 0, false, false).encode());
        assertThat(other.senseBytes()[0] & 0x7F).isEqualTo(0x70);
    }

    @Test
    void modeSelectRefusesWhatCannotChange() {
        // SWP is not changeable: the pointer names byte 4 bit 3 of the page (after a 4-byte header).
        byte[] swp = ModeParameters.encode(false, 0, Optional.empty(), false,
                List.of(new ModePage.Control(0, false, 1, 0, true, false, 0xFFFF).encode()));
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, swp.length), swp)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(4 + 4, 3));
        // RCD (read cache disable) is not changeable either.
        byte[] rcd = ModeParameters.encode(false, 0, Optional.empty(), false,
                List.of(new ModePage.Caching(true, true).encode()));
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, rcd.length), rcd)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(4 + 2, 0));
        // PS is reserved in MODE SELECT.
        byte[] ps = ModeParameters.encode(false, 0, Optional.empty(), false,
                List.of(new ModePage.Caching(false, false).encode()));
        ps[4] |= (byte) 0x80;
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, ps.length), ps)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(4, 7));
        // A page we do not have, and a wrong page length.
        byte[] unknown = {0, 0, 0, 0, 0x19, 0x02, 0, 0};
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, unknown.length), unknown)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(4, 5));
        byte[] shortPage = {0, 0, 0, 0, 0x08, 0x02, 0, 0};
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, shortPage.length), shortPage)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(5, 7));
        // A list cut inside a page.
        byte[] cut = Arrays.copyOf(ps, 10);
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, cut.length), cut)
                .check(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        // A block descriptor of another block length.
        byte[] bd = ModeParameters.encode(false, 0, Optional.of(new ModeParameters.BlockDescriptor(0, 512)), false,
                List.of());
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, bd.length), bd)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(4 + 5, 7));
        // Nothing of all that changed anything.
        byte[] current = run(LUN_4K, sense6(0, 0x3F, 255)).good().data();
        assertThat(findPage(current, 0x08)[2] & 0x04).isEqualTo(4);
        run(B, LUN_4K, tur()).good();
    }

    @Test
    void modeSelectCdbErrors() {
        byte[] list = ModeParameters.encode(false, 0, Optional.empty(), false,
                List.of(new ModePage.Caching(false, false).encode()));
        write(LUN_4K, new ModeSelectCdb(OperationCode.MODE_SELECT_6, true, true, list.length).encode(), list)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 0));
        write(LUN_4K, new ModeSelectCdb(OperationCode.MODE_SELECT_6, false, false, list.length).encode(), list)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
        write(LUN_4K, new ModeSelectCdb(OperationCode.MODE_SELECT_6, true, false, 0).encode(), new byte[0]).good();
        // A block descriptor that matches the unit is accepted.
        byte[] bd = ModeParameters.encode(false, 0,
                Optional.of(new ModeParameters.BlockDescriptor(BLOCKS_4K, 4096)), false, List.of());
        write(LUN_4K, select(OperationCode.MODE_SELECT_6, bd.length), bd).good();
    }

    @Test
    void aLogicalUnitResetRestoresTheDefaults() {
        setWriteCache(this, LUN_4K, false);
        assertThat(target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K))
                .isEqualTo(TaskManagementFunction.Response.FUNCTION_COMPLETE);
        SenseData s = run(LUN_4K, tur()).check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        assertThat(s).isNotNull();
        assertThat(findPage(run(LUN_4K, sense6(0, 0x08, 255)).good().data(), 0x08)[2] & 0x04).isEqualTo(4);
    }
}
