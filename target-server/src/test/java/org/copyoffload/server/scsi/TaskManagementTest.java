package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReportLunsCdb;
import org.copyoffload.protocol.scsi.RequestSenseCdb;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.server.scsi.TaskManagementFunction.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Task management functions and the unit attentions they leave (SAM-5 5.14, 6.3, 7). */
class TaskManagementTest extends ScsiTestBase {
    static final ItNexus C = new ItNexus("iqn.2026-01.org.example:host-c", 0x23D000000003L, TARGET, 1, 1);

    void meet(ItNexus... ns) {
        for (ItNexus n : ns) {
            run(n, LUN_4K, tur()).good();
        }
    }

    @Test
    void logicalUnitResetGivesEveryNexusAUnitAttentionIncludingTheOneThatAsked() {
        meet(A, B);
        assertThat(target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K)).isEqualTo(Response.FUNCTION_COMPLETE);
        for (ItNexus n : new ItNexus[] {A, B}) {
            // INQUIRY and REPORT LUNS neither report nor clear it.
            run(n, LUN_4K, new InquiryCdb(false, 0, 96).encode()).good();
            run(n, LUN_4K, new ReportLunsCdb(0, 64).encode()).good();
            // The first other command reports 29h/03h and clears it.
            run(n, LUN_4K, tur()).check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
            run(n, LUN_4K, tur()).good();
        }
        // Only the reset logical unit.
        run(A, LUN_512, tur()).good();
    }

    @Test
    void requestSenseReturnsAndClearsTheUnitAttention() {
        meet(A);
        target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K);
        byte[] fixed = run(LUN_4K, new RequestSenseCdb(false, 252).encode()).good().data();
        assertThat(SenseData.decode(fixed).additionalSense()).contains(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        assertThat(fixed).hasSize(18);
        run(LUN_4K, tur()).good();
        byte[] none = run(LUN_4K, new RequestSenseCdb(true, 252).encode()).good().data();
        assertThat(none[0] & 0x7F).isEqualTo(0x72);
        assertThat(SenseData.decode(none).additionalSense()).contains(AdditionalSense.NO_ADDITIONAL_SENSE);
        assertThat(run(LUN_4K, new RequestSenseCdb(false, 8).encode()).good().data()).hasSize(8);
    }

    @Test
    void aUnitAttentionIsReportedBeforeAnythingElseIsChecked() {
        meet(A);
        target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K);
        // Even a command with a bad LBA gets the unit attention first; the LBA is checked the next time.
        run(LUN_4K, new ReadWriteCdb(OperationCode.READ_16, -1, 1, 0, false, false).encode())
                .check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        run(LUN_4K, new ReadWriteCdb(OperationCode.READ_16, -1, 1, 0, false, false).encode())
                .check(AdditionalSense.LBA_OUT_OF_RANGE);
    }

    @Test
    void aNexusFirstSeenAfterTheResetHasNoUnitAttention() {
        meet(A);
        target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K);
        run(C, LUN_4K, tur()).good();
    }

    @Test
    void targetResetsResetEveryLogicalUnit() {
        meet(A, B);
        assertThat(target.manage(B, TaskManagementFunction.TARGET_WARM_RESET, 99)).isEqualTo(Response.FUNCTION_COMPLETE);
        run(A, LUN_4K, tur()).check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        run(A, LUN_512, tur()).check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        run(B, LUN_512, tur()).check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        assertThat(target.manage(A, TaskManagementFunction.TARGET_COLD_RESET, 0)).isEqualTo(Response.FUNCTION_COMPLETE);
        run(B, LUN_4K, tur()).check(AdditionalSense.POWER_ON_OCCURRED);
        // The cold reset supersedes B's older condition on LUN 0.
        run(B, LUN_4K, tur()).good();
    }

    @Test
    void clearTaskSetTellsOtherNexusesWithCommandsInFlight() throws Exception {
        meet(A, B, C);
        store4k.readGate = new CountDownLatch(1);
        store4k.readStarted = new CountDownLatch(1);
        ByteBuf[] owned = new ByteBuf[1];
        CompletableFuture<ScsiResponse> inFlight = submit(B, LUN_4K,
                new ReadWriteCdb(OperationCode.READ_10, 0, 1, 0, false, false).encode(), null, 4096, true, false, owned);
        try {
            assertThat(store4k.readStarted.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(target.manage(A, TaskManagementFunction.CLEAR_TASK_SET, LUN_4K))
                    .isEqualTo(Response.FUNCTION_COMPLETE);
        } finally {
            store4k.readGate.countDown();
            store4k.readGate = null;
        }
        collect(inFlight).good();
        run(B, LUN_4K, tur()).check(AdditionalSense.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
        run(C, LUN_4K, tur()).good(); // nothing of C's was in flight
        run(A, LUN_4K, tur()).good(); // nor is the asker told
    }

    @Test
    void abortsCompleteAndOtherFunctionsAreAnsweredAsRfc7143Says() {
        assertThat(target.manage(A, TaskManagementFunction.ABORT_TASK, LUN_4K)).isEqualTo(Response.FUNCTION_COMPLETE);
        assertThat(target.manage(A, TaskManagementFunction.ABORT_TASK_SET, LUN_512)).isEqualTo(Response.FUNCTION_COMPLETE);
        assertThat(target.manage(A, TaskManagementFunction.CLEAR_ACA, LUN_4K)).isEqualTo(Response.FUNCTION_NOT_SUPPORTED);
        assertThat(target.manage(A, TaskManagementFunction.TASK_REASSIGN, LUN_4K))
                .isEqualTo(Response.FUNCTION_NOT_SUPPORTED);
    }

    @ParameterizedTest
    @EnumSource(value = TaskManagementFunction.class, names = {"ABORT_TASK", "ABORT_TASK_SET", "CLEAR_TASK_SET",
            "LOGICAL_UNIT_RESET"})
    void logicalUnitFunctionsAtAnEmptyLunAreLunDoesNotExist(TaskManagementFunction f) {
        assertThat(target.manage(A, f, 42)).isEqualTo(Response.LUN_DOES_NOT_EXIST);
    }

    @Test
    void aLostNexusTakesItsUnitAttentionsWithIt() {
        meet(A, B);
        target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K);
        target.nexusLost(B);
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).isEmpty();
        assertThat(target.knownNexuses()).doesNotContain(B);
        run(B, LUN_4K, tur()).good(); // a new nexus with the same names starts clean
        run(A, LUN_4K, tur()).check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    }

    @Test
    void unitAttentionsQueueWithoutRepeats() {
        meet(A, B);
        ModePagesTest.setWriteCache(this, LUN_4K, false);
        ModePagesTest.setWriteCache(this, LUN_4K, true);
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).containsExactly(AdditionalSense.MODE_PARAMETERS_CHANGED);
        target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K);
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B))
                .containsExactly(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    }
}
