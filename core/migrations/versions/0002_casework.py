"""leads, reports, routing, follow-ups, replies, audit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 04:22:03.070154
"""
from alembic import op
import sqlalchemy as sa
import core.models
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('parent_code', sa.String(length=60), nullable=True),
    sa.Column('region_code', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entity', ['entity', 'entity_id', 'at'], unique=False)

    op.create_table('counters',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('holiday_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('off', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tracking_id', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('region_code', sa.String(length=20), nullable=True),
    sa.Column('anonim', sa.Boolean(), nullable=False),
    sa.Column('rahasia', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('reporter_platform', sa.String(length=20), nullable=True),
    sa.Column('reporter_handle', sa.String(length=200), nullable=True),
    sa.Column('reporter_author_id', sa.String(length=120), nullable=True),
    sa.Column('reporter_conversation_id', sa.String(length=120), nullable=True),
    sa.Column('agency_code', sa.String(length=60), nullable=True),
    sa.Column('unit_code', sa.String(length=60), nullable=True),
    sa.Column('routing_note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('followed_up_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('verify_due', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('followup_due', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolve_due', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('close_due', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('forward_state', sa.String(length=20), nullable=False),
    sa.Column('forward_attempts', sa.Integer(), nullable=False),
    sa.Column('forward_next_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('forward_error', sa.Text(), nullable=True),
    sa.Column('core_id', sa.String(length=120), nullable=True),
    sa.Column('updated_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tracking_id')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_agency', ['agency_code'], unique=False)
        batch_op.create_index('ix_reports_status', ['status'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('region_prefix', sa.String(length=20), nullable=False),
    sa.Column('agency_code', sa.String(length=60), nullable=False),
    sa.Column('unit_code', sa.String(length=60), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('feedback',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.String(length=120), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('created_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('followups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agency_code', sa.String(length=60), nullable=True),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('normative', sa.Boolean(), nullable=False),
    sa.Column('normative_reason', sa.Text(), nullable=True),
    sa.Column('created_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_report', ['report_id', 'created_at'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('mention_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('complaint_score', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=True),
    sa.Column('kind_confidence', sa.Float(), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=True),
    sa.Column('sector_confidence', sa.Float(), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('urgency_reason', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=12), nullable=True),
    sa.Column('rank', sa.Float(), nullable=False),
    sa.Column('pii', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql').with_variant(sqlite.JSON(), 'sqlite'), nullable=False),
    sa.Column('cluster_id', sa.BigInteger(), nullable=True),
    sa.Column('model_version', sa.String(length=60), nullable=True),
    sa.Column('triaged_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('lease_expires_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('dismiss_reason', sa.String(length=40), nullable=True),
    sa.Column('dismiss_note', sa.Text(), nullable=True),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['mentions.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mention_id')
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_cluster', ['cluster_id'], unique=False)
        batch_op.create_index('ix_leads_queue', ['state', 'rank'], unique=False)

    op.create_table('outbound_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=True),
    sa.Column('in_reply_to', sa.String(length=120), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', core.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_table('report_mentions',
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mention_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['mentions.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ),
    sa.PrimaryKeyConstraint('report_id', 'mention_id')
    )


def downgrade() -> None:
    op.drop_table('report_mentions')
    op.drop_table('outbound_messages')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_queue')
        batch_op.drop_index('ix_leads_cluster')

    op.drop_table('leads')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_report')

    op.drop_table('followups')
    op.drop_table('feedback')
    op.drop_table('routing_rules')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_status')
        batch_op.drop_index('ix_reports_agency')

    op.drop_table('reports')
    op.drop_table('holiday_overrides')
    op.drop_table('counters')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entity')

    op.drop_table('audit_log')
    op.drop_table('agencies')
