package org.copyoffload.server.scsi;

import java.util.Optional;

/** Task management functions (SAM-5, 7) with the iSCSI function codes (RFC 7143, 11.5.1). */
public enum TaskManagementFunction {
    ABORT_TASK(1), ABORT_TASK_SET(2), CLEAR_ACA(3), CLEAR_TASK_SET(4), LOGICAL_UNIT_RESET(5),
    TARGET_WARM_RESET(6), TARGET_COLD_RESET(7), TASK_REASSIGN(8);

    private final int code;

    TaskManagementFunction(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<TaskManagementFunction> lookup(int code) {
        for (TaskManagementFunction f : values()) {
            if (f.code == code) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** Task management responses (RFC 7143, 11.6.1). */
    public enum Response {
        FUNCTION_COMPLETE(0), TASK_DOES_NOT_EXIST(1), LUN_DOES_NOT_EXIST(2), TASK_STILL_ALLEGIANT(3),
        TASK_REASSIGNMENT_NOT_SUPPORTED(4), FUNCTION_NOT_SUPPORTED(5), AUTHORIZATION_FAILED(6),
        FUNCTION_REJECTED(255);

        private final int code;

        Response(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }
}
