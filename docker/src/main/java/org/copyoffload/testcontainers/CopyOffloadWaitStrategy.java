package org.copyoffload.testcontainers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits until the target's listeners answer, inside the container and through the mapped ports:
 * <ol>
 *   <li>the image's health check ({@code /opt/copyoffload/healthcheck.sh}, run with exec: Podman without
 *       systemd does not run HEALTHCHECKs by itself) passes: NVMe/TCP ICReq answered, iSCSI portal open,
 *       {@code /metrics} 200;</li>
 *   <li>from the test's side, an ICReq through the mapped NVMe/TCP port gets an ICResp, {@code /metrics}
 *       through its mapped port answers 200 and the mapped iSCSI port (if served) accepts a connection and
 *       keeps it open.</li>
 * </ol>
 */
public class CopyOffloadWaitStrategy extends AbstractWaitStrategy {
    private static final String HEALTH_CHECK = "/opt/copyoffload/healthcheck.sh";
    private static final int IO_TIMEOUT_MS = 2000;

    public CopyOffloadWaitStrategy() {
        withStartupTimeout(Duration.ofSeconds(60));
    }

    @Override
    protected void waitUntilReady() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        String last = "not checked yet";
        while (System.nanoTime() < deadline) {
            if (!waitStrategyTarget.isRunning()) {
                throw new ContainerLaunchException("the copyoffload container stopped; its log:\n"
                        + waitStrategyTarget.getLogs());
            }
            try {
                last = check();
                if (last == null) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for the copyoffload target", e);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for the copyoffload target", e);
            }
        }
        throw new ContainerLaunchException("the copyoffload target was not ready after " + startupTimeout
                + ": " + last + "\nits log:\n" + waitStrategyTarget.getLogs());
    }

    /** Null when everything answers, else what did not. */
    private String check() throws IOException, InterruptedException {
        Container.ExecResult health = waitStrategyTarget.execInContainer(HEALTH_CHECK);
        if (health.getExitCode() != 0) {
            return "health check: " + (health.getStdout() + health.getStderr()).strip();
        }
        String host = waitStrategyTarget.getHost();
        List<String> problems = new ArrayList<>();
        int nvme = waitStrategyTarget.getMappedPort(CopyOffloadTargetContainer.NVME_PORT);
        if (!icRespFrom(host, nvme)) {
            problems.add("no ICResp through " + host + ":" + nvme);
        }
        int metrics = waitStrategyTarget.getMappedPort(CopyOffloadTargetContainer.METRICS_PORT);
        String status = httpStatus(host, metrics);
        if (!status.matches("HTTP/1\\.\\d 200.*")) {
            problems.add("/metrics through " + host + ":" + metrics + " answered '" + status + "'");
        }
        if (!(waitStrategyTarget instanceof CopyOffloadTargetContainer c) || c.servesIscsi()) {
            int iscsi = waitStrategyTarget.getMappedPort(CopyOffloadTargetContainer.ISCSI_PORT);
            if (!staysOpen(host, iscsi)) {
                problems.add("iSCSI through " + host + ":" + iscsi + " closed the connection");
            }
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    /** Sends an NVMe/TCP ICReq (type 00h, HLEN 128, PLEN 128, PFV 0) and reads a whole ICResp (type 01h). */
    static boolean icRespFrom(String host, int port) {
        byte[] icReq = new byte[128];
        icReq[2] = (byte) 128;
        icReq[4] = (byte) 128;
        try (Socket s = connect(host, port)) {
            OutputStream out = s.getOutputStream();
            out.write(icReq);
            out.flush();
            byte[] resp = s.getInputStream().readNBytes(128);
            return resp.length == 128 && resp[0] == 0x01;
        } catch (IOException e) {
            return false;
        }
    }

    static String httpStatus(String host, int port) {
        try (Socket s = connect(host, port)) {
            s.getOutputStream().write(("GET /metrics HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int b; (b = in.read()) != -1 && b != '\n'; ) {
                line.append((char) b);
            }
            return line.toString().strip();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * A port forwarder may accept a connection before the container listens and close it right away; a
     * listening iSCSI target waits for a Login instead. So: connected and still open after a short read.
     */
    static boolean staysOpen(String host, int port) {
        try (Socket s = connect(host, port)) {
            s.setSoTimeout(300);
            try {
                return s.getInputStream().read() != -1;
            } catch (java.net.SocketTimeoutException e) {
                return true;
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static Socket connect(String host, int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), IO_TIMEOUT_MS);
            s.setSoTimeout(IO_TIMEOUT_MS);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }
}
