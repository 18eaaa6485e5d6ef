"""workspace tables: accounts, audit, investigations, groups, contacts, follow-up, imports, exports

Revision ID: 0001
Revises:
Create Date: 2026-12-07 12:15:16.138251
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ws_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_audit'))
    )
    with op.batch_alter_table('ws_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ws_audit_at'), ['at'], unique=False)

    op.create_table('ws_investigation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('disease', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('serogroup', sa.String(length=10), nullable=True),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('diagnosis_date', sa.String(length=10), nullable=True),
    sa.Column('first_antibiotic_at', sa.String(length=32), nullable=True),
    sa.Column('rash_onset', sa.String(length=10), nullable=True),
    sa.Column('case_initials', sa.String(length=10), nullable=False),
    sa.Column('case_sex', sa.String(length=10), nullable=False),
    sa.Column('case_birth_date', sa.String(length=10), nullable=False),
    sa.Column('case_postcode', sa.String(length=10), nullable=False),
    sa.Column('case_hospitalised', sa.Boolean(), nullable=True),
    sa.Column('case_condition_ref', sa.String(length=200), nullable=False),
    sa.Column('team_name', sa.String(length=200), nullable=False),
    sa.Column('team_phone', sa.String(length=40), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('closed_at', sa.String(length=32), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.Column('last_changes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_investigation'))
    )
    op.create_table('ws_secret',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_ws_secret'))
    )
    op.create_table('ws_user',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.String(length=32), nullable=True),
    sa.Column('api_token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_user')),
    sa.UniqueConstraint('api_token_hash', name=op.f('uq_ws_user_api_token_hash')),
    sa.UniqueConstraint('username', name=op.f('uq_ws_user_username'))
    )
    op.create_table('ws_export',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('investigation_id', sa.String(length=36), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['investigation_id'], ['ws_investigation.id'],
                            name=op.f('fk_ws_export_investigation_id_ws_investigation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_export'))
    )
    with op.batch_alter_table('ws_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ws_export_investigation_id'), ['investigation_id'], unique=False)

    op.create_table('ws_group',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('investigation_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('setting', sa.String(length=60), nullable=False),
    sa.Column('last_contact', sa.String(length=32), nullable=False),
    sa.Column('has_time', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['investigation_id'], ['ws_investigation.id'],
                            name=op.f('fk_ws_group_investigation_id_ws_investigation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_group')),
    sa.UniqueConstraint('investigation_id', 'name', name=op.f('uq_ws_group_investigation_id'))
    )
    with op.batch_alter_table('ws_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ws_group_investigation_id'), ['investigation_id'], unique=False)

    op.create_table('ws_import',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('investigation_id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['investigation_id'], ['ws_investigation.id'],
                            name=op.f('fk_ws_import_investigation_id_ws_investigation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_import'))
    )
    with op.batch_alter_table('ws_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ws_import_investigation_id'), ['investigation_id'], unique=False)

    op.create_table('ws_contact',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('investigation_id', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('identity_key', sa.String(length=300), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('weight_kg', sa.String(length=12), nullable=True),
    sa.Column('weighed_on', sa.String(length=10), nullable=True),
    sa.Column('setting', sa.String(length=60), nullable=True),
    sa.Column('last_contact', sa.String(length=32), nullable=True),
    sa.Column('has_time', sa.Boolean(), nullable=False),
    sa.Column('pregnancy', sa.String(length=10), nullable=False),
    sa.Column('allergies', sa.Text(), nullable=False),
    sa.Column('treatments', sa.Text(), nullable=False),
    sa.Column('mmr_doses', sa.Text(), nullable=False),
    sa.Column('occupation', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=15), nullable=False),
    sa.Column('state_by', sa.String(length=100), nullable=False),
    sa.Column('state_at', sa.String(length=32), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('evaluated_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['ws_group.id'],
                            name=op.f('fk_ws_contact_group_id_ws_group')),
    sa.ForeignKeyConstraint(['investigation_id'], ['ws_investigation.id'],
                            name=op.f('fk_ws_contact_investigation_id_ws_investigation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_contact')),
    sa.UniqueConstraint('investigation_id', 'identity_key', name=op.f('uq_ws_contact_investigation_id'))
    )
    with op.batch_alter_table('ws_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ws_contact_investigation_id'), ['investigation_id'], unique=False)

    op.create_table('ws_contact_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=15), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['ws_contact.id'],
                            name=op.f('fk_ws_contact_event_contact_id_ws_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_contact_event'))
    )
    with op.batch_alter_table('ws_contact_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ws_contact_event_contact_id'), ['contact_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ws_contact_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ws_contact_event_contact_id'))

    op.drop_table('ws_contact_event')
    with op.batch_alter_table('ws_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ws_contact_investigation_id'))

    op.drop_table('ws_contact')
    with op.batch_alter_table('ws_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ws_import_investigation_id'))

    op.drop_table('ws_import')
    with op.batch_alter_table('ws_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ws_group_investigation_id'))

    op.drop_table('ws_group')
    with op.batch_alter_table('ws_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ws_export_investigation_id'))

    op.drop_table('ws_export')
    op.drop_table('ws_user')
    op.drop_table('ws_secret')
    op.drop_table('ws_investigation')
    with op.batch_alter_table('ws_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ws_audit_at'))

    op.drop_table('ws_audit')
