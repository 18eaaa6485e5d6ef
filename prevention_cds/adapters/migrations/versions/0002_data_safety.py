"""data safety: hand-edited columns, soft deletes, the import report server-side, whole phone numbers, accounts
that can be disabled and sessions that can be revoked

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ws_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('ws_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('deleted_by', sa.String(length=100), nullable=True))
    with op.batch_alter_table('ws_contact', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=40), type_=sa.String(length=200),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('edited_fields', sa.Text(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('deleted_at', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('deleted_by', sa.String(length=100), nullable=True))
    with op.batch_alter_table('ws_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ws_import', schema=None) as batch_op:
        batch_op.drop_column('report')
    with op.batch_alter_table('ws_contact', schema=None) as batch_op:
        batch_op.drop_column('deleted_by')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('edited_fields')
        batch_op.alter_column('phone', existing_type=sa.String(length=200), type_=sa.String(length=40),
                              existing_nullable=False)
    with op.batch_alter_table('ws_group', schema=None) as batch_op:
        batch_op.drop_column('deleted_by')
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('ws_user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
        batch_op.drop_column('disabled')
