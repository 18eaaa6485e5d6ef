"""contacts: what the team knows of a contact's conditions (immunodeficiency, porphyria, severe liver disease,
history of measles), a JSON object; the measures a closed follow-up closed, a JSON list

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 03:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ws_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conditions', sa.Text(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('closed_measures', sa.Text(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('ws_contact', schema=None) as batch_op:
        batch_op.drop_column('closed_measures')
        batch_op.drop_column('conditions')
