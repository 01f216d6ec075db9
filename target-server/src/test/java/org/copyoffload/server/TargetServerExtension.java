package org.copyoffload.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The end-to-end tests' set-up in one place: a {@link TestServer} on a temporary data directory, started once per
 * test class and closed after it, and hosts (NVMe/TCP) or sessions (iSCSI) a test opens through it, closed after
 * that test whether it passed or not. Register it in a static field:
 *
 * <pre>
 * &#64;RegisterExtension
 * static final TargetServerExtension target = TargetServerExtension.withYaml(dir -&gt; "...");
 * ...
 * NvmeTcpHost host = target.connect(1);     // closed after the test
 * IscsiSession s = target.iscsi(TARGET);    // logged out after the test
 * </pre>
 *
 * <p>What a whole class shares (a host opened in {@code @BeforeAll}) goes through {@link #closeAfterClass}.
 */
public final class TargetServerExtension implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {
    private final UnaryOperator<String> yamlForDir;
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private final Deque<AutoCloseable> openedForClass = new ArrayDeque<>();
    private Path dir;
    private TestServer server;

    private TargetServerExtension(UnaryOperator<String> yamlForDir) {
        this.yamlForDir = yamlForDir;
    }

    /** The server of {@link TestServer#defaultYaml}. */
    public static TargetServerExtension defaults() {
        return new TargetServerExtension(d -> TestServer.defaultYaml(Path.of(d)));
    }

    /** A server configured by {@code yaml}, given the data directory (as a string, for {@code formatted}). */
    public static TargetServerExtension withYaml(UnaryOperator<String> yaml) {
        return new TargetServerExtension(yaml);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("copyoffload-" + context.getRequiredTestClass().getSimpleName() + "-");
        server = TestServer.start(dir, yamlForDir.apply(dir.toString()));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        closeAll(opened);
    }

    /** Closes everything, newest first; the first failure is thrown once all are closed. */
    private static void closeAll(Deque<AutoCloseable> resources) throws Exception {
        Exception first = null;
        synchronized (resources) {
            while (!resources.isEmpty()) {
                try {
                    resources.pop().close();
                } catch (Exception e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        closeAll(openedForClass);
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    public TestServer server() {
        return server;
    }

    /** The server's data directory: volume files are {@code NAME.img} in it. */
    public Path dir() {
        return dir;
    }

    /** Closes {@code resource} after the current test; returns it. */
    public <T extends AutoCloseable> T closeAfterTest(T resource) {
        synchronized (opened) {
            opened.push(resource);
        }
        return resource;
    }

    /** Closes {@code resource} after the test class, before the server stops; returns it. */
    public <T extends AutoCloseable> T closeAfterClass(T resource) {
        synchronized (openedForClass) {
            openedForClass.push(resource);
        }
        return resource;
    }

    // ---- NVMe/TCP ----

    /** A host on {@link TestServer#NQN} with {@code ioQueues} I/O queues, closed after the test. */
    public NvmeTcpHost connect(int ioQueues) {
        return closeAfterTest(server.connect(ioQueues));
    }

    public NvmeTcpHost connect(HostOptions options) {
        return closeAfterTest(server.connect(options));
    }

    // ---- iSCSI ----

    /** The first iSCSI portal. */
    public InetSocketAddress iscsiPortal() {
        return server.server().iscsiAddresses().getFirst();
    }

    /** Options for a session to {@code targetName} on the first portal, with the tests' timeouts. */
    public IscsiOptions iscsiOptions(String targetName) {
        return IscsiOptions.of(iscsiPortal(), targetName).withTimeouts(TestServer.TIMEOUT, TestServer.TIMEOUT);
    }

    /** A session logged in to {@code targetName} with the default offer, logged out after the test. */
    public IscsiSession iscsi(String targetName) {
        return iscsi(iscsiOptions(targetName));
    }

    public IscsiSession iscsi(IscsiOptions options) {
        return closeAfterTest(IscsiSession.login(options));
    }
}
