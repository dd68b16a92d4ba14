#!/usr/bin/python3
"""A real GStreamer RTSP server that asks for Digest authentication, for the camera tests.

Usage: digest-server.py MJPEG_AVI USER PASSWORD
Serves the file at rtsp://127.0.0.1:<port>/live as RTP/JPEG at its own pace, each client from the
start. Prints `port <n>` on stdout once it listens; runs until killed. Needs Debian's python3-gi,
gir1.2-gst-rtsp-server-1.0 and gstreamer1.0-plugins-good (the CI installs them).
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit("usage: digest-server.py MJPEG_AVI USER PASSWORD")
    path, user, password = sys.argv[1:]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")

    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
    auth.add_digest(user, password, token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)

    factory = GstRtspServer.RTSPMediaFactory()
    location = path.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(f'( filesrc location="{location}" ! avidemux ! rtpjpegpay name=pay0 pt=26 )')
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_role_from_structure(
        Gst.Structure.new_from_string("viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
    )
    factory.set_permissions(permissions)
    server.get_mount_points().add_factory("/live", factory)

    if server.attach(None) == 0:
        sys.exit("digest-server: could not listen")
    print(f"port {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
