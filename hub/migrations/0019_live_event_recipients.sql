-- Live events addressed to people as well as roles: an owner follows their own service
-- request live, without every owner of the building seeing everyone's (the role audience
-- alone cannot say "this owner"). A user whose id is listed sees the event whatever
-- their role; the audience's roles still see it, by building, as before.
ALTER TABLE live_events ADD COLUMN user_ids bigint[];
