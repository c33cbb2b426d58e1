"""Where our apps' migrations sit in a fresh database's plan.

Django keeps every migrated model in its in-memory state and renders again every model related
to one a migration changes. Our models all point at the user, so while Wagtail's 140 migrations
ran after ours, each of them rendered our hundred models again: 40% of a fresh ``migrate``.
So our apps' first migrations wait for Wagtail's; only core's first, which holds the user that
Wagtail's migrations depend on, comes before them. ``tests/core/test_migration_order.py`` fails
when a Wagtail upgrade adds a migration, so this list is kept at its latest.
"""

from __future__ import annotations

AFTER_WAGTAIL = [
    ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ("wagtailadmin", "0006_formstate"),
    ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ("wagtaildocs", "0014_alter_document_file_size"),
    ("wagtailimages", "0027_image_description"),
    ("wagtailsearch", "0010_add_text_fields"),
    ("wagtailusers", "0015_userprofile_keyboard_shortcuts"),
]
