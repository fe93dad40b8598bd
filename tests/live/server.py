"""A live Daphne that works even when forked from a test process that already ran async code.

``channels.testing.ChannelsLiveServerTestCase`` forks the test process. asgiref runs thread-sensitive sync
code (every ``database_sync_to_async``) on one class-wide executor thread; once a test has used it (a
``WebsocketCommunicator`` test earlier in the session), the fork copies the executor but not its thread, and
the server's consumers wait on it for ever. The child therefore starts with an executor of its own.
"""

from concurrent.futures import ThreadPoolExecutor

from daphne.testing import DaphneProcess


class FreshDaphneProcess(DaphneProcess):
    def run(self):
        from asgiref.sync import SyncToAsync

        SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
        super().run()
