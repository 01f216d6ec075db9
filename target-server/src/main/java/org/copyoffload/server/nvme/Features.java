package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HashMap;
import java.util.Map;
import org.copyoffload.protocol.nvme.StatusCode;

/**
 * The features of one controller (NVMe Base 2.1, 5.1.25 and 5.1.11): current values, defaults, and which
 * may be changed. Nothing is saveable (ONCS bit 4 is clear), so a saved value is the default.
 */
final class Features {
    static final int ARBITRATION = 0x01;
    static final int POWER_MANAGEMENT = 0x02;
    static final int TEMPERATURE_THRESHOLD = 0x04;
    static final int ERROR_RECOVERY = 0x05;
    static final int VOLATILE_WRITE_CACHE = 0x06;
    static final int NUMBER_OF_QUEUES = 0x07;
    static final int WRITE_ATOMICITY_NORMAL = 0x0A;
    static final int ASYNC_EVENT_CONFIGURATION = 0x0B;
    static final int KEEP_ALIVE_TIMER = 0x0F;
    static final int HOST_BEHAVIOR_SUPPORT = 0x16;
    static final int IO_COMMAND_SET_PROFILE = 0x19;
    static final int HOST_BEHAVIOR_SIZE = 512;
    static final int CDFE_OFFSET = 4;

    /** Over-temperature threshold default: 343 K (70 °C), equal to WCTEMP. */
    static final int DEFAULT_OVER_TEMPERATURE = 343;
    /** SMART critical warnings bits 7:0 are the asynchronous events this controller could report. */
    private static final int SUPPORTED_AEN_MASK = 0xFF;

    private final NvmeController controller;
    private final int maxIoQueues;
    private final Map<Integer, Integer> temperatureThresholds = new HashMap<>();
    private int arbitration;
    private int powerManagement;
    private int errorRecovery;
    private boolean volatileWriteCache = true;
    private int ioQueuesGranted;
    private int writeAtomicity;
    private int asyncEventConfig;
    private int ioCommandSetProfile;
    private byte[] hostBehavior = new byte[HOST_BEHAVIOR_SIZE];

    Features(NvmeController controller, int maxIoQueues) {
        this.controller = controller;
        this.maxIoQueues = maxIoQueues;
        this.hostBehavior = defaultHostBehavior();
    }

    /** Host Behavior Support as a new controller has it: CDFE preset where the subsystem says so. */
    private byte[] defaultHostBehavior() {
        byte[] b = new byte[HOST_BEHAVIOR_SIZE];
        int cdfe = controller.subsystem().copyFormatsEnabledAtConnect();
        b[CDFE_OFFSET] = (byte) cdfe;
        b[CDFE_OFFSET + 1] = (byte) (cdfe >>> 8);
        return b;
    }

    /** CDFE, Copy Descriptor Formats Enable (Host Behavior Support bytes 5:4): bit n enables format n (2h, 3h). */
    synchronized int copyFormatsEnabled() {
        return (hostBehavior[CDFE_OFFSET] & 0xFF) | ((hostBehavior[CDFE_OFFSET + 1] & 0xFF) << 8);
    }

    synchronized void reset() {
        arbitration = 0;
        powerManagement = 0;
        errorRecovery = 0;
        volatileWriteCache = true;
        ioQueuesGranted = 0;
        writeAtomicity = 0;
        asyncEventConfig = 0;
        ioCommandSetProfile = 0;
        temperatureThresholds.clear();
        hostBehavior = defaultHostBehavior();
    }

    synchronized boolean volatileWriteCacheEnabled() {
        return volatileWriteCache;
    }

    synchronized int ioQueuesGranted() {
        return ioQueuesGranted;
    }

    synchronized byte[] hostBehavior() {
        return hostBehavior.clone();
    }

    /** Set Features (5.1.25). Returns completion dword 0. */
    CommandResult set(NvmeRequest r) {
        int cdw10 = r.sqe().cdw10();
        int fid = cdw10 & 0xFF;
        int value = r.sqe().cdw11();
        if ((cdw10 & 0x8000_0000) != 0) {
            throw new NvmeCommandException(StatusCode.FEATURE_IDENTIFIER_NOT_SAVEABLE,
                    "feature 0x" + Integer.toHexString(fid) + " cannot be saved");
        }
        int nsid = r.nsid();
        if (nsid != 0 && nsid != 0xFFFFFFFF && fid != HOST_BEHAVIOR_SUPPORT) {
            throw new NvmeCommandException(StatusCode.FEATURE_NOT_NAMESPACE_SPECIFIC,
                    "feature 0x" + Integer.toHexString(fid) + " is not namespace specific (NSID " + Integer.toUnsignedString(nsid) + ")");
        }
        if (fid == HOST_BEHAVIOR_SUPPORT) {
            r.requireTransferLength(HOST_BEHAVIOR_SIZE);
        } else if (r.transferLength() != 0) {
            r.requireTransferLength(0);
        }
        synchronized (this) {
            switch (fid) {
                case ARBITRATION -> arbitration = value;
                case POWER_MANAGEMENT -> {
                    if ((value & 0x1F) != 0) {
                        throw invalid("power state " + (value & 0x1F) + " above NPSS 0");
                    }
                    powerManagement = value & 0xFF;
                }
                case TEMPERATURE_THRESHOLD -> setTemperatureThreshold(value);
                case ERROR_RECOVERY -> {
                    if ((value & 0x1_0000) != 0) {
                        throw invalid("DULBE: deallocated logical block errors are not supported");
                    }
                    errorRecovery = value & 0xFFFF;
                }
                case VOLATILE_WRITE_CACHE -> volatileWriteCache = (value & 1) != 0;
                case NUMBER_OF_QUEUES -> {
                    return CommandResult.success(setNumberOfQueues(value));
                }
                case WRITE_ATOMICITY_NORMAL -> writeAtomicity = value & 1;
                case ASYNC_EVENT_CONFIGURATION -> asyncEventConfig = value & SUPPORTED_AEN_MASK;
                case KEEP_ALIVE_TIMER -> {
                    long max = controller.target().settings().maxKeepAliveTimeout().toMillis();
                    if (Integer.toUnsignedLong(value) > max) {
                        throw invalid("KATO " + Integer.toUnsignedString(value) + " ms above nvme.max-keep-alive-timeout "
                                + max + " ms");
                    }
                    controller.changeKeepAliveTimeout(value);
                }
                case HOST_BEHAVIOR_SUPPORT -> setHostBehavior(r.data());
                case IO_COMMAND_SET_PROFILE -> {
                    if (controller.subsystem().isDiscovery() || (value & 0x1FF) != 0) {
                        throw invalid("I/O command set combination index " + (value & 0x1FF) + " (only 0 exists)");
                    }
                    ioCommandSetProfile = value & 0x1FF;
                }
                default -> throw invalid("feature 0x" + Integer.toHexString(fid) + " not supported");
            }
        }
        return CommandResult.SUCCESS;
    }

    private int setNumberOfQueues(int value) {
        int nsqr = value & 0xFFFF;
        int ncqr = value >>> 16;
        if (nsqr == 0xFFFF || ncqr == 0xFFFF) {
            throw invalid("Number of Queues asks for 65536 queues");
        }
        if (controller.hasIoQueues()) {
            throw new NvmeCommandException(StatusCode.COMMAND_SEQUENCE_ERROR,
                    "Number of Queues changed after I/O queues were connected");
        }
        // Over fabrics each I/O queue is one SQ/CQ pair: grant the smaller request, bounded by the maximum.
        int granted = Math.min(Math.min(nsqr, ncqr) + 1, maxIoQueues);
        ioQueuesGranted = granted;
        return ((granted - 1) << 16) | (granted - 1);
    }

    private void setHostBehavior(ByteBuf data) {
        byte[] bytes = new byte[HOST_BEHAVIOR_SIZE];
        data.getBytes(data.readerIndex(), bytes);
        // ACRE, ETDAS and LBAFEE are booleans (NVMe Base 2.1, Figure 386).
        for (int i = 0; i < 3; i++) {
            if ((bytes[i] & 0xFF) > 1) {
                throw invalid("Host Behavior Support byte " + i + " = " + (bytes[i] & 0xFF) + " (0 or 1)");
            }
        }
        // CDFE may enable only the formats that need enabling (2h, 3h) and that OCFS advertises.
        int cdfe = (bytes[CDFE_OFFSET] & 0xFF) | ((bytes[CDFE_OFFSET + 1] & 0xFF) << 8);
        int enablable = controller.subsystem().copyFormatsSupported() & 0xC;
        if ((cdfe & ~enablable) != 0) {
            throw invalid("CDFE 0x" + Integer.toHexString(cdfe) + " enables formats not supported (may enable 0x"
                    + Integer.toHexString(enablable) + ")");
        }
        hostBehavior = bytes;
    }

    /** TMPSEL Fh sets the threshold of every sensor (the composite and 1-8), and is kept for its own Get. */
    private void setTemperatureThreshold(int value) {
        int key = thresholdKey(value);
        int kelvin = value & 0xFFFF;
        if ((key >>> 4) == 0xF) {
            for (int sensor = 0; sensor <= 8; sensor++) {
                temperatureThresholds.put((sensor << 4) | (key & 0x3), kelvin);
            }
        }
        temperatureThresholds.put(key, kelvin);
    }

    /**
     * Whether the composite temperature is at or above this controller's over-temperature threshold, or at or
     * below its under-temperature threshold: SMART / Health Critical Warning bit 1 (NVMe Base 2.1, 5.1.12.1.3).
     * Sensors 1-8 are not implemented (they read 0h), so their thresholds cannot be crossed.
     */
    synchronized boolean temperatureThresholdCrossed(int compositeKelvin) {
        // Keys as thresholdKey makes them: TMPSEL 0h (composite) with THSEL 00b (over) or 01b (under).
        int over = temperatureThresholds.getOrDefault(0x00, DEFAULT_OVER_TEMPERATURE);
        int under = temperatureThresholds.getOrDefault(0x01, 0);
        return compositeKelvin >= over || compositeKelvin <= under;
    }

    private static int thresholdKey(int value) {
        int tmpsel = (value >>> 16) & 0xF;
        int thsel = (value >>> 20) & 0x3;
        if (tmpsel > 8 && tmpsel != 0xF) {
            throw invalid("TMPSEL " + tmpsel);
        }
        if (thsel > 1) {
            throw invalid("THSEL " + thsel);
        }
        return (tmpsel << 4) | thsel;
    }

    /** Get Features (5.1.11): SEL 0 current, 1 default, 2 saved (= default), 3 supported capabilities. */
    CommandResult get(NvmeRequest r) {
        int cdw10 = r.sqe().cdw10();
        int fid = cdw10 & 0xFF;
        int sel = (cdw10 >>> 8) & 0x7;
        if (sel > 3) {
            throw invalid("SEL " + sel);
        }
        boolean known = switch (fid) {
            case ARBITRATION, POWER_MANAGEMENT, TEMPERATURE_THRESHOLD, ERROR_RECOVERY, VOLATILE_WRITE_CACHE,
                 NUMBER_OF_QUEUES, WRITE_ATOMICITY_NORMAL, ASYNC_EVENT_CONFIGURATION, KEEP_ALIVE_TIMER,
                 HOST_BEHAVIOR_SUPPORT -> true;
            case IO_COMMAND_SET_PROFILE -> !controller.subsystem().isDiscovery();
            default -> false;
        };
        if (!known) {
            throw invalid("feature 0x" + Integer.toHexString(fid) + " not supported");
        }
        if (sel == 3) {
            // Capabilities: bit 2 changeable; none saveable or namespace specific.
            return CommandResult.success(0x4);
        }
        boolean current = sel == 0;
        if (fid == HOST_BEHAVIOR_SUPPORT) {
            r.requireTransferLength(HOST_BEHAVIOR_SIZE);
            return CommandResult.data(Unpooled.wrappedBuffer(current ? hostBehavior() : defaultHostBehavior()));
        }
        synchronized (this) {
            int v = switch (fid) {
                case ARBITRATION -> current ? arbitration : 0;
                case POWER_MANAGEMENT -> current ? powerManagement : 0;
                case TEMPERATURE_THRESHOLD -> {
                    int key = thresholdKey(r.sqe().cdw11());
                    int dflt = (key & 0x3) == 0 ? DEFAULT_OVER_TEMPERATURE : 0;
                    yield (r.sqe().cdw11() & 0x3F_0000) | (current ? temperatureThresholds.getOrDefault(key, dflt) : dflt);
                }
                case ERROR_RECOVERY -> current ? errorRecovery : 0;
                case VOLATILE_WRITE_CACHE -> !current || volatileWriteCache ? 1 : 0;
                case NUMBER_OF_QUEUES -> {
                    int n = (current && ioQueuesGranted > 0 ? ioQueuesGranted : maxIoQueues) - 1;
                    yield (n << 16) | n;
                }
                case WRITE_ATOMICITY_NORMAL -> current ? writeAtomicity : 0;
                case ASYNC_EVENT_CONFIGURATION -> current ? asyncEventConfig : 0;
                case KEEP_ALIVE_TIMER -> current ? controller.katoMs() : 0;
                case IO_COMMAND_SET_PROFILE -> current ? ioCommandSetProfile : 0;
                default -> throw invalid("feature 0x" + Integer.toHexString(fid));
            };
            return CommandResult.success(v);
        }
    }

    private static NvmeCommandException invalid(String reason) {
        return new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND, reason);
    }
}
