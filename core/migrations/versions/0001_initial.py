"""mentions, cursors, health, quarantine, webhook events

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 03:32:03.635414
"""
from alembic import op
import sqlalchemy as sa
import core.models
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('listener_cursors',
    sa.Column('listener', sa.String(length=40), nullable=False),
    sa.Column('cursor', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('updated_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('listener')
    )
    op.create_table('listener_health',
    sa.Column('listener', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('retry_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_poll_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_count', sa.Integer(), nullable=False),
    sa.Column('total_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('listener')
    )
    op.create_table('mention_hashtags',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=False),
    sa.Column('tag', sa.String(length=140), nullable=False),
    sa.Column('created_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('author_handle', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('platform', 'external_id', 'tag')
    )
    with op.batch_alter_table('mention_hashtags', schema=None) as batch_op:
        batch_op.create_index('ix_mention_hashtags_tag_created_at', ['tag', 'created_at'], unique=False)

    op.create_table('mentions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('conversation_id', sa.String(length=120), nullable=True),
    sa.Column('reply_to_id', sa.String(length=120), nullable=True),
    sa.Column('author_id', sa.String(length=120), nullable=True),
    sa.Column('author_handle', sa.String(length=200), nullable=True),
    sa.Column('author_name', sa.String(length=300), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=12), nullable=True),
    sa.Column('created_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('hashtags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('mentioned', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('media_urls', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('listener', sa.String(length=40), nullable=False),
    sa.Column('retrieved_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('first_seen_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'external_id', name='uq_mentions_platform_external_id')
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_author', ['platform', 'author_handle'], unique=False)
        batch_op.create_index('ix_mentions_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_mentions_platform_created_at', ['platform', 'created_at'], unique=False)

    op.create_table('quarantine',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('listener', sa.String(length=40), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('received_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_retry_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('listener', 'digest', name='uq_quarantine_listener_digest')
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_open', ['resolved_at', 'received_at'], unique=False)

    op.create_table('webhook_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_events_pending', ['processed_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_events_pending')

    op.drop_table('webhook_events')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_open')

    op.drop_table('quarantine')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_platform_created_at')
        batch_op.drop_index('ix_mentions_created_at')
        batch_op.drop_index('ix_mentions_author')

    op.drop_table('mentions')
    with op.batch_alter_table('mention_hashtags', schema=None) as batch_op:
        batch_op.drop_index('ix_mention_hashtags_tag_created_at')

    op.drop_table('mention_hashtags')
    op.drop_table('listener_health')
    op.drop_table('listener_cursors')
