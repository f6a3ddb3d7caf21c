/** Hubot 14 ships no types; bench/peers/hubot-relay.ts declares the few parts it uses. */
declare module 'hubot';
