"""The sandbox's kernel manager (autograder.sandbox.isolation.SandboxKernelManager): what its clients' sockets take."""
from __future__ import annotations

import zmq

from autograder.sandbox.isolation import SandboxKernelManager


def test_a_clients_sockets_are_bounded_and_try_a_missing_kernel_again_after_5_ms(tmp_path):
    """Does every socket of a sandboxed kernel's client take no message over `message_limit`, hold at most
    `message_queue` unread, and try a connection that failed (the kernel's socket file not there yet) again after
    5 ms rather than libzmq's 100?"""
    km = SandboxKernelManager(message_limit=1 << 20, message_queue=8, connection_file=str(tmp_path / "k.json"),
                              ip=str(tmp_path / "k-ipc"))
    kc = km.client()
    try:
        for channel in (kc.shell_channel, kc.iopub_channel, kc.stdin_channel, kc.control_channel):
            socket = channel.socket
            assert (socket.getsockopt(zmq.MAXMSGSIZE), socket.getsockopt(zmq.RCVHWM),
                    socket.getsockopt(zmq.RECONNECT_IVL)) == (1 << 20, 8, 5)
    finally:
        kc.stop_channels()
        kc.context.destroy(linger=0)
