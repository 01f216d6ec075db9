package org.copyoffload.it.iscsi;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.copyoffload.it.guest.GuestVm;
import org.junit.jupiter.api.Assumptions;

/**
 * Makes sure the host-side iSCSI tools are here: libiscsi-bin (iscsi-test-cu, iscsi-perf) and tgt (tgtd, tgtadm).
 *
 * <p>Missing tools are installed by {@code guest/guest.sh deps} when we are root (as CI is: {@code .ci/run} calls it
 * before the tests); otherwise the test fails, saying what to install. Only {@code -Dcopyoffload.skipLibiscsi=true}
 * skips these tests: a machine without the tools never passes them silently.
 */
final class IscsiTools {

    private static volatile boolean ready;

    private IscsiTools() {
    }

    static synchronized void ensureInstalled() {
        Assumptions.assumeFalse(Boolean.getBoolean("copyoffload.skipLibiscsi"),
                "libiscsi/tgt tests skipped: -Dcopyoffload.skipLibiscsi=true");
        if (ready) {
            return;
        }
        if (!present() && Processes.isRoot()) {
            Path script = GuestVm.script();
            try {
                Path out = Files.createTempFile("iscsi-deps-", ".log");
                try {
                    Process p = new ProcessBuilder("bash", script.toString(), "deps")
                            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                            .redirectErrorStream(true).redirectOutput(out.toFile()).start();
                    if (!p.waitFor(15, TimeUnit.MINUTES)) {
                        p.descendants().forEach(ProcessHandle::destroyForcibly);
                        p.destroyForcibly();
                    }
                    if (!present()) {
                        throw new AssertionError(script + " deps did not install libiscsi-bin, tgt and tshark:\n"
                                + Files.readString(out, StandardCharsets.ISO_8859_1));
                    }
                } finally {
                    Files.deleteIfExists(out);
                }
            } catch (IOException e) {
                throw new AssertionError("cannot run " + script + " deps", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted installing libiscsi-bin and tgt", e);
            }
        }
        if (!present()) {
            throw new AssertionError("iscsi-test-cu, iscsi-perf, tgtd, tgtadm or tshark missing: run `integration-tests/"
                    + "guest/guest.sh deps` as root (apt-get install libiscsi-bin tgt tshark), or pass "
                    + "-Dcopyoffload.skipLibiscsi=true");
        }
        ready = true;
    }

    private static boolean present() {
        return Processes.onPath("iscsi-test-cu") && IscsiPerf.installed() && TgtTarget.installed()
                && Processes.onPath("tshark");
    }
}
