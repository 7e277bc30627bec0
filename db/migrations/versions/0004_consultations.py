"""consultations: topics, requests, conversation, message links

Revision ID: 0004_consultations
Revises: 0001_baseline
Create Date: 2026-11-28 07:08:19.123772
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0004_consultations'
down_revision: str | Sequence[str] | None = '0001_baseline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consultation_topics',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('title_en', sa.String(length=100), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_topics')),
    sa.UniqueConstraint('code', name=op.f('uq_consultation_topics_code'))
    )
    op.create_table('consultations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('topic_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('org_key', sa.String(length=200), nullable=True),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('preferred_time', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assignee_tg_id', sa.BigInteger(), nullable=True),
    sa.Column('assignee_name', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('meeting_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('meeting_place', sa.String(length=300), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('card_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('card_message_id', sa.BigInteger(), nullable=True),
    sa.Column('card_thread_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('taken_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['topic_id'], ['consultation_topics.id'], name=op.f('fk_consultations_topic_id_consultation_topics')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consultations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultations_org_key'), ['org_key'], unique=False)
        batch_op.create_index('ix_consultations_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_user_id'), ['user_id'], unique=False)

    op.create_table('consultation_links',
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('consultation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('purpose', sa.String(length=48), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_links_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('chat_id', 'message_id', name=op.f('pk_consultation_links'))
    )
    with op.batch_alter_table('consultation_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_links_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('consultation_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('consultation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author', sa.String(length=8), nullable=False),
    sa.Column('author_tg_id', sa.BigInteger(), nullable=True),
    sa.Column('author_name', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('file_id', sa.String(length=256), nullable=True),
    sa.Column('file_name', sa.String(length=256), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_messages_consultation_id_consultations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_messages'))
    )
    with op.batch_alter_table('consultation_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_messages_consultation_id'), ['consultation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consultation_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_messages_consultation_id'))

    op.drop_table('consultation_messages')
    with op.batch_alter_table('consultation_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_links_consultation_id'))

    op.drop_table('consultation_links')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultations_user_id'))
        batch_op.drop_index('ix_consultations_status_created')
        batch_op.drop_index(batch_op.f('ix_consultations_org_key'))

    op.drop_table('consultations')
    op.drop_table('consultation_topics')
