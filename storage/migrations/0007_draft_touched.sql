-- A draft's updated_at follows its answers: saving an answer needs no statement of its own for it.
CREATE TRIGGER draft_answer_added AFTER INSERT ON draft_answers BEGIN
    UPDATE drafts SET updated_at = NEW.answered_at WHERE id = NEW.draft_id;
END;
CREATE TRIGGER draft_answer_changed AFTER UPDATE ON draft_answers BEGIN
    UPDATE drafts SET updated_at = NEW.answered_at WHERE id = NEW.draft_id;
END;
