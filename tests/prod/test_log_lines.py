"""The hostile-lines tests of the log writer on PostgreSQL, where ``COPY`` refused a NUL and the flusher died."""

import pytest

from tests.runs.test_log_lines import (  # noqa: F401 (collected here too, on the production profile's database)
    step,
    test_a_10_mb_line_without_a_line_break_is_stored_whole_in_pieces,
    test_a_flood_is_stored_and_pushed_in_batches_of_at_most_batch_max_lines_in_order,
    test_a_long_line_in_one_block_is_cut_at_a_character_boundary,
    test_a_nul_and_bytes_that_are_not_utf8_are_stored_escaped_and_the_writer_goes_on,
    test_any_bytes_cut_anywhere_are_stored_so_that_they_can_be_put_back_together,
    test_crlf_line_ends_are_line_breaks,
    test_progress_output_with_carriage_returns_only_is_stored_whole,
    test_the_lines_go_with_their_run_though_the_database_holds_no_foreign_key_for_them,
)

pytestmark = pytest.mark.prod
