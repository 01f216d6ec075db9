package org.copyoffload.it.iscsi;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A libiscsi URL, {@code iscsi://HOST:PORT/TARGET-IQN/LUN}: one logical unit of one target. The LUN is always
 * explicit because targets number them differently (tgt keeps LUN 0 for its controller, ours puts volumes
 * at LUN 0 and 1).
 *
 * @param host an IPv4 address or host name (an IPv6 address in brackets)
 * @param port the portal's TCP port
 * @param iqn  the target's name
 * @param lun  the logical unit number
 */
public record IscsiUrl(String host, int port, String iqn, int lun) {

    private static final Pattern URL = Pattern.compile("iscsi://([^/:]+|\\[[^]]+]):(\\d+)/([^/]+)/(\\d+)");

    public IscsiUrl {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(iqn, "iqn");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("LUN out of range: " + lun);
        }
        if (iqn.isBlank() || iqn.contains("/")) {
            throw new IllegalArgumentException("not a target name: '" + iqn + "'");
        }
    }

    /** Parses {@code iscsi://HOST:PORT/IQN/LUN} (port and LUN required; no user or password). */
    public static IscsiUrl parse(String url) {
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an iscsi://HOST:PORT/IQN/LUN URL: " + url);
        }
        return new IscsiUrl(m.group(1), Integer.parseInt(m.group(2)), m.group(3), Integer.parseInt(m.group(4)));
    }

    /** The same target, another logical unit. */
    public IscsiUrl withLun(int otherLun) {
        return new IscsiUrl(host, port, iqn, otherLun);
    }

    /** The portal without the target: {@code iscsi://HOST:PORT} (what iscsi-ls takes). */
    public String portalUrl() {
        return "iscsi://" + host + ":" + port;
    }

    @Override
    public String toString() {
        return "iscsi://" + host + ":" + port + "/" + iqn + "/" + lun;
    }
}
